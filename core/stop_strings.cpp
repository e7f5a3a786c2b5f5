// Stop-string matching over a stream of text pieces.
#include "core/stop_strings.h"

#include <algorithm>

namespace deepgate {

Status StopStringMatcher::Validate(const std::vector<std::string>& stops) {
  if (stops.size() > kMaxStops) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxStops) +
                                   " stop strings are allowed, got " +
                                   std::to_string(stops.size()));
  }
  for (size_t i = 0; i < stops.size(); ++i) {
    if (stops[i].empty()) {
      return Status::InvalidArgument("stop string " + std::to_string(i) + " is empty");
    }
    if (stops[i].size() > kMaxStopBytes) {
      return Status::InvalidArgument("stop string " + std::to_string(i) + " is longer than " +
                                     std::to_string(kMaxStopBytes) + " bytes");
    }
  }
  return Status::Ok();
}

Result<StopStringMatcher> StopStringMatcher::Create(std::vector<std::string> stops) {
  DG_RETURN_IF_ERROR(Validate(stops));
  return StopStringMatcher(std::move(stops));
}

StopStringMatcher::StopStringMatcher(std::vector<std::string> stops) {
  for (std::string& s : stops) {
    if (!s.empty()) stops_.push_back(std::move(s));
  }
}

StopPushResult StopStringMatcher::Push(std::string_view piece) {
  StopPushResult result;
  if (stopped_) {
    result.stopped = true;
    return result;
  }
  std::string text = std::move(held_);
  held_.clear();
  text.append(piece);

  // The earliest completed stop string wins; held_ never contains a complete one, so a
  // match can only end inside the new piece.
  size_t first_match = std::string::npos;
  for (const std::string& stop : stops_) {
    first_match = std::min(first_match, text.find(stop));
  }
  if (first_match != std::string::npos) {
    text.resize(first_match);
    result.emit = std::move(text);
    result.stopped = stopped_ = true;
    return result;
  }

  // Hold the longest tail that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const std::string& stop : stops_) {
    for (size_t n = std::min(text.size(), stop.size() - 1); n > hold; --n) {
      if (std::string_view(text).substr(text.size() - n) == std::string_view(stop).substr(0, n)) {
        hold = n;
        break;
      }
    }
  }
  held_ = text.substr(text.size() - hold);
  text.resize(text.size() - hold);
  result.emit = std::move(text);
  return result;
}

std::string StopStringMatcher::Flush() {
  std::string rest = std::move(held_);
  held_.clear();
  return rest;
}

}  // namespace deepgate
