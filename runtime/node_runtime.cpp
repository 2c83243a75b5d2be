// Node runtime assembly, start-up scan, client and dead-letter APIs.
#include "runtime/node_runtime.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "caf/all.hpp"

#include "runtime/client_actor.hpp"
#include "runtime/dead_letter_admin.hpp"
#include "runtime/entity_actor.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/lmdb_store.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/messages.hpp"
#include "runtime/record_codec.hpp"
#include "runtime/store_format.hpp"
#include "runtime/store_identity.hpp"

namespace sagaforge {

namespace {

using sweep_atom = caf::atom_constant<caf::atom("sweep")>;

/// Single-node resolution: every ref is local, found or activated by the directory.
class local_router : public router {
public:
  explicit local_router(directory& d) : dir_(d) {}
  bool route(const std::string& to, const caf::message& msg, bool activate) override {
    return dir_.deliver(to, msg, activate);
  }

private:
  directory& dir_;
};

caf::behavior sweeper_behavior(caf::event_based_actor* self, node_runtime* node,
                               int64_t interval_ms) {
  self->delayed_send(self, std::chrono::milliseconds{interval_ms}, sweep_atom::value);
  return {[=](sweep_atom) {
    node->sweep();
    self->delayed_send(self, std::chrono::milliseconds{interval_ms}, sweep_atom::value);
  }};
}

using reactivate_atom = caf::atom_constant<caf::atom("reactivate")>;

/// Start-up re-activation at a bounded rate (a restart herd would otherwise activate every
/// pending entity at once): every 10 ms the next rate/100 refs get settle_atom, which
/// activates them; each delivers its outbox and passivates.
caf::behavior reactivator_behavior(caf::event_based_actor* self, runtime_context* rt,
                                   std::vector<std::string> refs, int64_t per_second) {
  auto next = std::make_shared<size_t>(0);
  auto per_tick = static_cast<size_t>(std::max<int64_t>(1, per_second / 100));
  self->send(self, reactivate_atom::value);
  return {[=, refs = std::move(refs)](reactivate_atom) {
    auto end = std::min(refs.size(), *next + per_tick);
    for (; *next < end; ++*next)
      rt->dir().deliver(refs[*next], caf::make_message(settle_atom::value), true);
    if (*next < refs.size())
      self->delayed_send(self, std::chrono::milliseconds{10}, reactivate_atom::value);
    else
      self->quit();
  }};
}

caf::behavior waker_behavior(caf::event_based_actor*, runtime_context* rt) {
  return {[=](wake_atom, const std::string& ref) {
    rt->route(ref, caf::make_message(wake_atom::value), true);
  }};
}

} // namespace

caf::expected<std::unique_ptr<node_runtime>>
node_runtime::start(caf::actor_system& sys, options opts, std::vector<entity_logic_ptr> types) {
  auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<node_runtime> node{new node_runtime};
  auto& cfg = opts.settings;
  if (opts.given_store) {
    node->store_ = opts.given_store;
  } else if (cfg.mode() == durability::memory) {
    node->store_ = std::make_shared<memory_store>();
  } else {
    auto st = lmdb_store::open(cfg.data_dir, cfg.mode(), static_cast<size_t>(cfg.map_size_mb),
                               cfg.verify_on_start == "pages");
    if (!st)
      return st.error();
    node->store_ = *st;
  }
  commit_pipeline::options copts;
  copts.threaded = opts.threaded_commit;
  copts.max_batch_steps = static_cast<size_t>(cfg.commit_max_batch_steps);
  copts.max_delay_us = cfg.commit_max_delay_us;
  copts.max_queue_steps = static_cast<size_t>(cfg.commit_max_queue_steps);
  node->ctx_ = std::make_unique<runtime_context>(sys, cfg, node->store_, copts);
  node->threaded_ = opts.threaded_commit;
  auto* ctx = node->ctx_.get();
  if (opts.clock_base_ms)
    ctx->set_clock_base_ms(*opts.clock_base_ms);
  for (auto& t : types)
    ctx->register_type(std::move(t));
  ctx->set_directory(std::make_shared<directory>(
    ctx->shard_count(),
    [ctx](const std::string& ref, uint64_t last, active_entry_ptr e, caf::actor idle) {
      return spawn_entity(*ctx, ref, last, std::move(e), std::move(idle));
    }));
  if (opts.make_router)
    ctx->set_router(opts.make_router(*ctx));
  else
    ctx->set_router(std::make_unique<local_router>(ctx->dir()));
  node->ticker_ = spawn_timer_ticker(sys, ctx->timers());
  ctx->timers().set_ticker(node->ticker_);
  node->waker_ = sys.spawn(waker_behavior, ctx);
  ctx->set_waker(node->waker_);
  // A store opened here from a folder keeps its identity in that folder too.
  // Nothing is written to a store of a newer format; the marker follows the identity.
  auto mark_format = judge_store_format(*node->store_);
  if (!mark_format)
    return mark_format.error();
  bool own_folder = !opts.given_store && cfg.mode() != durability::memory;
  if (auto err = check_store_identity(*node->store_, own_folder ? cfg.data_dir : std::string{},
                                      cfg.shard_count))
    return err;
  if (*mark_format)
    if (auto err = mark_store_format(*node->store_))
      return err;
  if (!cfg.activation_log.empty()) {
    activation_log::options lo;
    // Relative to the data folder; an absolute path is taken as it is.
    lo.path = (std::filesystem::path{cfg.data_dir} / cfg.activation_log).string();
    lo.node = cfg.cluster_node_id;
    lo.max_bytes = cfg.activation_log_max_bytes;
    lo.flush_ms = cfg.activation_log_flush_ms;
    auto log = activation_log::open(std::move(lo));
    if (!log)
      return log.error();
    ctx->dir().set_activation_log(std::move(*log));  // before the scan activates anything
  }
  node->serves_ = opts.serves_shard;
  if (auto err = node->scan_store())
    return err;
  node->client_ = spawn_client(*ctx, opts.client_name, opts.client_max_in_flight);
  if (opts.run_sweeper)
    node->sweeper_ = sys.spawn(sweeper_behavior, node.get(), cfg.sweep_interval_ms);
  node->startup_.seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("runtime started in {:.3f} s: {} log records, {} snapshots, {} entities known, "
               "{} re-activated with pending work, {} timer wakes scheduled, {} dead letters",
               node->startup_.seconds, node->startup_.log_records, node->startup_.snapshots,
               node->startup_.entities_known, node->startup_.reactivated,
               node->startup_.timer_wakes, node->startup_.dead_letters);
  return node;
}

caf::expected<node_runtime::opened_store> node_runtime::open_store(const runtime_settings& cfg) {
  opened_store out;
  if (cfg.mode() == durability::memory) {
    out.st = std::make_shared<memory_store>();
  } else {
    auto st = lmdb_store::open(cfg.data_dir, cfg.mode(), static_cast<size_t>(cfg.map_size_mb),
                               cfg.verify_on_start == "pages");
    if (!st)
      return st.error();
    out.st = *st;
  }
  auto mark_format = judge_store_format(*out.st);
  if (!mark_format)
    return mark_format.error();
  auto dir = cfg.mode() == durability::memory ? std::string{} : cfg.data_dir;
  if (auto err = check_store_identity(*out.st, dir, cfg.shard_count))
    return err;
  if (*mark_format)
    if (auto err = mark_store_format(*out.st))
      return err;
  auto id = out.st->get(table::meta, "store_id");
  if (!id)
    return id.error();
  out.store_id = id->value_or("");
  return out;
}

caf::error node_runtime::scan_store() {
  auto& st = *store_;
  auto& ctx = *ctx_;
  struct known {
    uint64_t last_log_seq = 0;
    uint64_t covered = 0;
    record_work log_work;   // what the newest log record says is left to do
    record_work snap_work;  // ...and the snapshot
  };
  std::unordered_map<std::string, known> index;
  caf::error failure;
  auto err = st.scan(table::log, {}, [&](std::string_view key, std::string_view value) {
    if (!is_log_key(key) || log_key_shard(key) >= ctx.shard_count()) {
      failure = is_log_key(key)
                  ? make_runtime_error(runtime_errc::invalid_config,
                                       "the store holds records of shard "
                                         + std::to_string(log_key_shard(key))
                                         + ", beyond shard-count="
                                         + std::to_string(ctx.shard_count())
                                         + ": it was created with more shards; set "
                                           "sagaforge.store.shard-count to its count")
                  : make_runtime_error(runtime_errc::store_damaged,
                                       "a log key of " + std::to_string(key.size())
                                         + " bytes (12 expected): store damaged, restore "
                                           "from backup");
      return false;
    }
    auto hdr = decode_log_header(value);
    ++startup_.log_records;
    auto shard = log_key_shard(key);
    auto seq = log_key_seq(key);
    ctx.seed_log_seq(shard, seq);
    if (!hdr) {
      spdlog::error("log record {}:{} is unreadable ({}); entities of shard {} whose journal "
                    "reaches it will refuse to recover",
                    shard, seq, describe(hdr.error()), shard);
      ctx.mark_unattributable(shard, seq);
      return true;
    }
    auto& k = index[std::string{hdr->ref}];
    k.last_log_seq = seq;
    k.log_work = hdr->work();
    return true;
  });
  if (err)
    return err;
  if (failure)
    return failure;
  err = st.scan(table::snapshots, {}, [&](std::string_view key, std::string_view value) {
    ++startup_.snapshots;
    auto hdr = decode_snapshot_header(value);
    auto& k = index[std::string{key}];
    if (!hdr) {
      spdlog::error("the snapshot of {} is unreadable ({}): it will refuse to recover", key,
                    describe(hdr.error()));
      k.snap_work.deliver = true;  // activate it: recovery reports the corruption loudly
      return true;
    }
    k.covered = hdr->covered_log_seq;
    k.snap_work = hdr->work();
    return true;
  });
  if (err)
    return err;
  auto last_dl = st.last_key(table::dead_letters, {});
  if (!last_dl)
    return last_dl.error();
  if (*last_dl) {
    ctx.seed_dead_letter_id(get_be(**last_dl, 0, 8));
    startup_.dead_letters = get_be(**last_dl, 0, 8);
  }
  std::vector<std::string> settle;
  for (auto& [ref, k] : index) {
    bool newer_log = k.last_log_seq > k.covered;
    ctx.dir().seed(ref, std::max(k.last_log_seq, k.covered));
    if (serves_ && !serves_(shard_of(ref, ctx.shard_count())))
      continue;  // another node serves it: nothing of it is re-activated here
    auto& work = newer_log ? k.log_work : k.snap_work;
    if (work.deliver)
      settle.push_back(ref);  // re-activated (at a bounded rate) to deliver, then passivates
    else if (work.wake_ms > 0) {
      ctx.schedule_wake(ref, work.wake_ms);  // only timers: activated when the first is due
      ++startup_.timer_wakes;
    }
  }
  startup_.entities_known = index.size();
  startup_.reactivated = settle.size();
  if (!settle.empty())
    reactivator_ = ctx.system().spawn(reactivator_behavior, &ctx, std::move(settle),
                                      ctx.settings().reactivate_per_second);
  return {};
}

node_runtime::~node_runtime() {
  shutdown();
}

void node_runtime::shutdown() {
  if (stopped_)
    return;
  stopped_ = true;
  if (!ctx_)
    return;  // the start failed before the runtime was built: nothing runs
  for (auto* a : {&sweeper_, &reactivator_, &client_})
    if (*a)
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
  if (threaded_)
    snapshot_active();
  if (waker_)
    caf::anon_send_exit(waker_, caf::exit_reason::user_shutdown);
  if (ticker_)
    caf::anon_send_exit(ticker_, caf::exit_reason::user_shutdown);
  auto actors = ctx_->dir().clear();
  for (auto& a : actors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  ctx_->pipeline().stop();
  if (threaded_) {
    // Entity actors reference this runtime: it must outlive every one of them. (With the
    // deterministic test coordinator the caller runs the scheduler instead.)
    caf::scoped_actor self{ctx_->system()};
    for (auto& a : actors)
      self->wait_for(a);
    for (auto* a : {&client_, &sweeper_, &reactivator_, &waker_, &ticker_})
      if (*a)
        self->wait_for(*a);
  }
  ctx_->dir().log_shutdown();  // the entities' actors are gone (threaded nodes)
}

void node_runtime::snapshot_active() {
  auto timeout = ctx_->settings().shutdown_timeout_ms;
  if (timeout <= 0 || !ctx_->pipeline().healthy())
    return;
  auto handles = ctx_->dir().active_handles();
  if (handles.empty())
    return;
  auto t0 = std::chrono::steady_clock::now();
  caf::scoped_actor self{ctx_->system()};
  for (auto& h : handles)
    self->send(h, snapshot_atom::value);  // each answers once its snapshot is durable
  size_t answered = 0;
  bool late = false;
  while (answered < handles.size() && !late)
    self->receive([&](bool) { ++answered; }, [&](caf::error&) { ++answered; },
                  caf::after(std::chrono::milliseconds{timeout}) >> [&] { late = true; });
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (late)
    spdlog::warn("shutdown: {} of {} active entities snapshotted within {} ms; the others "
                 "recover from their journals at the next start",
                 answered, handles.size(), timeout);
  else
    spdlog::info("shutdown: {} active entities snapshotted in {:.3f} s", handles.size(), secs);
}

caf::expected<Ack> node_runtime::ask_raw(const std::string& to, const typed_bytes& msg,
                                         std::chrono::milliseconds timeout,
                                         const std::string& correlation) {
  caf::scoped_actor self{ctx_->system()};
  caf::expected<Ack> out{make_runtime_error(runtime_errc::timeout, "no answer from " + to)};
  self->request(client_, timeout, send_atom::value, to, msg.type, msg.payload, correlation)
    .receive(
      [&](const std::string& bytes) {
        Ack ack;
        if (!ack.ParseFromString(bytes))
          out = make_runtime_error(runtime_errc::invalid_envelope, "ack does not parse");
        else if (!ack.reply_error().empty())
          out = make_runtime_error(runtime_errc::rejected, ack.reply_error());
        else if (ack.failed())
          out = make_runtime_error(runtime_errc::dead_lettered, ack.error());
        else
          out = std::move(ack);
      },
      [&](caf::error& err) {
        out = err == caf::sec::request_timeout
                ? make_runtime_error(runtime_errc::timeout,
                                     "no ack from " + to + " within "
                                       + std::to_string(timeout.count()) + " ms")
                : std::move(err);
      });
  return out;
}

std::vector<std::string> node_runtime::known_refs(const std::string& type) {
  auto out = ctx_->dir().known_refs(type);
  if (auto* remote = ctx_->remote()) {
    auto more = remote->known_refs(type);
    out.insert(out.end(), more.begin(), more.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

caf::expected<EntityReport> node_runtime::inspect(const std::string& ref,
                                                  std::chrono::milliseconds timeout) {
  if (auto err = validate_ref(ref))
    return err;
  if (auto* remote = ctx_->remote(); remote && !remote->is_local(ref))
    return remote->inspect(ref, timeout);
  caf::scoped_actor self{ctx_->system()};
  caf::expected<EntityReport> out{make_runtime_error(runtime_errc::timeout, ref)};
  // The entity can passivate between the lookup and the request, and its actor then serve
  // another entity (directory::recycle): a report of another ref means "look up again".
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto target = ctx_->dir().lookup(ref, true);
    if (!target)
      return make_runtime_error(runtime_errc::not_found, ref);
    bool moved = false;
    self->request(target, timeout, inspect_atom::value)
      .receive(
        [&](const std::string& bytes) {
          EntityReport r;
          if (!r.ParseFromString(bytes))
            out = make_runtime_error(runtime_errc::invalid_envelope, "report does not parse");
          else if (r.ref() != ref)
            moved = true;
          else
            out = std::move(r);
        },
        [&](caf::error& err) { out = std::move(err); });
    if (!moved)
      return out;
  }
  return make_runtime_error(runtime_errc::timeout,
                            ref + " kept passivating while being inspected");
}

caf::expected<std::vector<DeadLetter>> node_runtime::dead_letters(uint64_t from_id,
                                                                  size_t limit) {
  std::vector<DeadLetter> out;
  caf::error failure;
  auto err = store_->scan(table::dead_letters, id_key(from_id),
                          [&](std::string_view key, std::string_view value) {
                            auto dl = decode_dead_letter(value);
                            if (!dl) {
                              failure = make_runtime_error(
                                runtime_errc::corrupt_record,
                                "dead letter " + std::to_string(get_be(key, 0, 8)) + ": "
                                  + describe(dl.error()));
                              return false;
                            }
                            out.push_back(std::move(*dl));
                            return out.size() < limit;
                          });
  if (err)
    return err;
  if (failure)
    return failure;
  return out;
}

caf::error node_runtime::replay_dead_letter(uint64_t id) {
  auto found = get_dead_letter(*store_, id);
  if (!found)
    return found.error();
  auto& dl = *found;
  auto& env = dl.envelope();
  if (auto err = validate_ref(env.receiver()))
    return err;
  caf::anon_send(client_, send_atom::value, env.receiver(), env.type(), env.payload(),
                 env.correlation_id());
  dl.set_replayed(true);
  // Marking is bookkeeping outside any entity's step: a direct store write is fine here.
  if (auto err = store_->write({mutation{table::dead_letters, id_key(id),
                                         encode_dead_letter(dl), false}}))
    spdlog::warn("could not mark dead letter {} replayed: {}", id, describe(err));
  spdlog::info("dead letter {} replayed to {}", id, env.receiver());
  return {};
}

caf::error node_runtime::for_each_event(const std::string& type, const event_visitor& f) {
  auto prefix = type + "/";
  caf::error failure;
  auto err = store_->scan(table::log, {}, [&](std::string_view key, std::string_view value) {
    auto hdr = decode_log_header(value);
    if (!hdr) {
      failure = hdr.error();
      return false;
    }
    if (hdr->ref.substr(0, prefix.size()) != prefix)
      return true;
    auto where = "log record " + std::to_string(log_key_shard(key)) + ":"
                 + std::to_string(log_key_seq(key));
    auto rec = decode_step_record(*hdr, where);
    if (!rec) {
      failure = rec.error();
      return false;
    }
    std::string ref{hdr->ref};
    auto seq = rec->first_event_seq();
    for (auto& ev : rec->events())
      if (!f(ref, seq++, ev, rec->at_ms()))
        return false;
    return true;
  });
  return err ? err : failure;
}

void node_runtime::sweep() {
  auto& cfg = ctx_->settings();
  for (auto& [handle, activation] : ctx_->dir().passivation_candidates(
         ctx_->now_ms(), cfg.idle_timeout_ms, static_cast<size_t>(cfg.max_active_entities)))
    caf::anon_send(handle, passivate_atom::value, activation);
}

} // namespace sagaforge
