// Every step of one business transaction across entities (admin API /admin/v1/trace, console
// `trace`): the log records that sent an envelope with the correlation id, and the records
// that consumed one (matched by the envelope's channel: inbound sender and seq on the
// receiver's record). Reads the store only, from any thread; never activates an entity.
// O(log records) per call, bounded by `max_records` scanned: an operator's tool.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "caf/expected.hpp"

#include "runtime/store.hpp"
#include "runtime_records.pb.h"

namespace sagaforge {

struct trace_step {
  std::string ref;      // the entity whose step this is
  uint32_t shard = 0;
  uint64_t log_seq = 0;
  StepRecord record;    // decoded (derived fields restored)
  bool sent = false;    // sent at least one envelope of the correlation
  bool consumed = false;  // consumed an envelope of the correlation
};

struct trace_result {
  std::vector<trace_step> steps;  // by time, each after the step whose send it consumed
  uint64_t scanned = 0;           // log records read
  bool truncated = false;         // stopped at max_records
};

/// The steps of `correlation_id`, at most `max_steps` of them, reading at most `max_records`
/// log records per pass (two passes). runtime.corrupt_record when a record does not parse.
caf::expected<trace_result> trace_correlation(store& st, const std::string& correlation_id,
                                              size_t max_steps, uint64_t max_records);

}  // namespace sagaforge
