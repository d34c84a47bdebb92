#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "stepflow/status.h"
#include "stepflow/storage/store.h"

namespace stepflow::storage {

// The text of a history_chunks row: a JSON array of
// [id, previous_event_id, timestamp_ns, type, details-or-null].
// REQUIRES: each non-empty details_json is one JSON value (an object).
std::string EncodeHistoryChunk(const HistoryEventRecord* begin, const HistoryEventRecord* end);

// Appends the events of `chunk` with id > after_event_id to `out` until it
// holds `limit`. kCorruption, naming `where`, when the text is not a chunk.
Status DecodeHistoryChunk(std::string_view chunk, int64_t after_event_id, size_t limit, const std::string& where,
                          std::vector<HistoryEventRecord>* out);

}  // namespace stepflow::storage
