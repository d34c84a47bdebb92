#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "stepflow/status.h"
#include "stepflow/storage/store.h"

namespace stepflow::storage {

// Writes the text of a history_chunks row to `out`: a JSON array of
// [id, previous_event_id, timestamp_ns, type, details-or-null] of the events
// from `begin`, at most `max_events`, and no more once the text has reached
// `max_bytes`. Returns how many it took (at least one when begin != end).
// REQUIRES: each event's details are one JSON value (an object) or absent.
size_t EncodeHistoryChunk(const HistoryEventRecord* begin, const HistoryEventRecord* end, size_t max_events,
                          size_t max_bytes, std::string* out);

// Appends the events of `chunk` with id > after_event_id to `out` until it
// holds `limit`. kCorruption, naming `where`, when the text is not a chunk.
Status DecodeHistoryChunk(std::string_view chunk, int64_t after_event_id, size_t limit, const std::string& where,
                          std::vector<HistoryEventRecord>* out);

}  // namespace stepflow::storage
