// Stop strings: cuts a streamed generation exactly before the first occurrence of any of
// the caller's stop strings (OpenAI's `stop`), however the text is split into pieces.
//
// Text that might be the beginning of a stop string is held back until the next piece
// decides it, so a client never sees part of a stop string; Flush() releases what is held
// when generation ends for another reason. The stop string itself is never emitted.
//
// Thread-safety: a plain value; one per stream, not shared.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace deepgate {

struct StopPushResult {
  std::string emit;      // text safe to send now (may be empty)
  bool stopped = false;  // a stop string completed; nothing more will be emitted
};

class StopStringMatcher {
 public:
  static constexpr size_t kMaxStops = 4;         // OpenAI's limit
  static constexpr size_t kMaxStopBytes = 256;   // bounds the held text and the per-piece scan

  // At most kMaxStops strings, each 1..kMaxStopBytes bytes. InvalidArgument otherwise.
  static Status Validate(const std::vector<std::string>& stops);
  // Validates, then constructs.
  static Result<StopStringMatcher> Create(std::vector<std::string> stops);

  // Precondition: Validate(stops).ok(). (Empty strings are ignored rather than matching
  // everywhere; over-long lists are only a cost, never a crash.)
  explicit StopStringMatcher(std::vector<std::string> stops);

  StopPushResult Push(std::string_view piece);
  // End of generation without a stop: the held text. Empty after a stop.
  std::string Flush();

  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;  // tail of the output that is a proper prefix of some stop string
  bool stopped_ = false;
};

}  // namespace deepgate
