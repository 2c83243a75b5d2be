// Target store_meta: what a node reads from a data folder before it trusts the store. The
// first byte picks the reader, the rest is the stored text:
//   0: the format marker (meta "format") judged by judge_store_format (store_format.cpp),
//   1: the identity in meta ("store_id", "created_ms", "shard_count", one per line) checked by
//      check_store_identity on a memory store (store_identity.cpp),
//   2: <dir>/sagaforge.id read by read_identity_file (data_folder.cpp), from a scratch folder.
// The node calls these at start-up with no catch around them: nothing may escape.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/data_folder.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/store_format.hpp"
#include "runtime/store_identity.hpp"
#include "tests/fuzz/fuzz_target.hpp"

namespace sagaforge::fuzz {

namespace {

std::vector<std::string> seeds() {
  auto id = make_store_identity(64);
  std::string meta = id.store_id + "\n" + std::to_string(id.created_ms) + "\n64";
  std::string file = "# sagaforge store identity\nstore_id=" + id.store_id
                     + "\ncreated_ms=" + std::to_string(id.created_ms) + "\nshard_count=64\n";
  return {std::string(1, '\0') + "3", std::string(1, '\0') + "1", std::string(1, '\0') + "4",
          std::string(1, '\1') + meta, std::string(1, '\2') + file};
}

const std::string& scratch() {
  static const std::string dir = [] {
    auto d = std::filesystem::temp_directory_path()
             / ("sagaforge-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(std::filesystem::temp_directory_path()
                                    / ("sagaforge-fuzz-" + std::to_string(::getpid())),
                                  ec);
    });
    return d.string();
  }();
  return dir;
}

} // namespace

target store_meta_target() {
  target t;
  t.name = "store_meta";
  t.seeds = seeds;
  t.max_len = 512;
  t.dictionary = {"\n", "=", "store_id=", "created_ms=", "shard_count=", "#", "0",
                  "-1", "9223372036854775807", "9223372036854775808", "4294967296", "+",
                  " ", "0x10", "00000000000000000000000000000000"};
  t.run = [](std::string_view data, uint64_t&, uint64_t&) {
    if (data.empty())
      return;
    std::string text{data.substr(1)};
    switch (static_cast<unsigned char>(data[0]) % 3) {
      case 0: {
        memory_store st;
        st.poke(table::meta, std::string{store_format_key}, text);
        (void) judge_store_format(st);
        break;
      }
      case 1: {
        memory_store st;
        const char* keys[] = {"store_id", "created_ms", "shard_count"};
        size_t from = 0;
        for (auto* k : keys) {
          auto nl = text.find('\n', from);
          st.poke(table::meta, k, text.substr(from, nl == std::string::npos ? nl : nl - from));
          if (nl == std::string::npos)
            break;
          from = nl + 1;
        }
        (void) check_store_identity(st, "", 64);
        break;
      }
      case 2: {
        std::ofstream{scratch() + "/" + identity_file_name, std::ios::binary | std::ios::trunc}
          << text;
        (void) read_identity_file(scratch());
        break;
      }
    }
  };
  return t;
}

} // namespace sagaforge::fuzz
