// raw_lmdb implementation.
#include "bench/raw_lmdb.hpp"

#include <lmdb.h>
#include <sys/stat.h>

#include <chrono>
#include <random>
#include <vector>

#include "bench/bench_entity.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"

namespace sagaforge::bench {

namespace {

using clock_type = std::chrono::steady_clock;

caf::error fail(const char* what, int rc) {
  return make_runtime_error(runtime_errc::store_failed,
                            std::string{"raw lmdb: "} + what + ": " + mdb_strerror(rc));
}

double ns_since(clock_type::time_point t0) {
  return static_cast<double>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - t0).count());
}

struct env_guard {
  MDB_env* env = nullptr;
  ~env_guard() {
    if (env)
      mdb_env_close(env);
  }
};

} // namespace

caf::expected<raw_result> run_raw_lmdb(const raw_spec& spec) {
  ::mkdir(spec.dir.c_str(), 0755);
  env_guard g;
  int rc = mdb_env_create(&g.env);
  if (rc != 0)
    return fail("mdb_env_create", rc);
  mdb_env_set_maxdbs(g.env, table_count);
  mdb_env_set_mapsize(g.env, spec.map_size_mb * 1024 * 1024);
  mdb_env_set_maxreaders(g.env, 512);
  unsigned flags = MDB_NOTLS;
  if (spec.mode != durability::fsync)
    flags |= MDB_NOSYNC;
  if ((rc = mdb_env_open(g.env, spec.dir.c_str(), flags, 0644)) != 0)
    return fail("mdb_env_open", rc);
  MDB_dbi log_dbi = 0, snap_dbi = 0;
  {
    MDB_txn* txn = nullptr;
    if ((rc = mdb_txn_begin(g.env, nullptr, 0, &txn)) != 0)
      return fail("mdb_txn_begin", rc);
    mdb_dbi_open(txn, "log", MDB_CREATE, &log_dbi);
    mdb_dbi_open(txn, "snapshots", MDB_CREATE, &snap_dbi);
    if ((rc = mdb_txn_commit(txn)) != 0)
      return fail("mdb_txn_commit", rc);
  }
  // Entity i writes to shard_of(its ref), like the runtime; refs are precomputed.
  std::vector<uint32_t> shard_of_entity(spec.entities);
  std::vector<std::string> refs(spec.entities);
  for (uint64_t i = 0; i < spec.entities; ++i) {
    refs[i] = bench_ref("e", i);
    shard_of_entity[i] = shard_of(refs[i], spec.shards);
  }
  std::vector<uint64_t> seqs(spec.shards, 0);
  std::string log_value(spec.log_value_bytes, 'l');
  std::string snap_value(spec.snapshot_value_bytes, 's');
  std::mt19937_64 rng{7};
  raw_result out;
  double snap_credit = 0;
  uint64_t next_entity = 0;
  auto t_start = clock_type::now();
  while (out.log_puts < spec.max_log_puts) {
    MDB_txn* txn = nullptr;
    auto t0 = clock_type::now();
    if ((rc = mdb_txn_begin(g.env, nullptr, 0, &txn)) != 0)
      return fail("mdb_txn_begin", rc);
    for (size_t i = 0; i < spec.batch; ++i) {
      auto e = next_entity++ % spec.entities;
      auto shard = shard_of_entity[e];
      auto key = log_key(shard, ++seqs[shard]);
      log_value[0] = static_cast<char>(out.log_puts);  // not all bytes identical
      MDB_val k{key.size(), key.data()}, v{log_value.size(), log_value.data()};
      if ((rc = mdb_put(txn, log_dbi, &k, &v, 0)) != 0) {
        mdb_txn_abort(txn);
        return fail("mdb_put(log)", rc);
      }
      ++out.log_puts;
      snap_credit += spec.snapshots_per_log;
      while (snap_credit >= 1) {
        snap_credit -= 1;
        auto& ref = refs[rng() % spec.entities];
        MDB_val sk{ref.size(), const_cast<char*>(ref.data())};
        MDB_val sv{snap_value.size(), snap_value.data()};
        if ((rc = mdb_put(txn, snap_dbi, &sk, &sv, 0)) != 0) {
          mdb_txn_abort(txn);
          return fail("mdb_put(snapshot)", rc);
        }
        ++out.snapshot_puts;
      }
    }
    auto t1 = clock_type::now();
    out.puts_ns += ns_since(t0);
    if ((rc = mdb_txn_commit(txn)) != 0)
      return fail("mdb_txn_commit", rc);
    out.commit_ns += ns_since(t1);
    ++out.commits;
    if (ns_since(t_start) >= spec.seconds * 1e9)
      break;
  }
  out.seconds = ns_since(t_start) / 1e9;
  return out;
}

} // namespace sagaforge::bench
