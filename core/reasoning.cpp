// Reasoning split, batch and streaming. See reasoning.h for the rules both follow.
#include "core/reasoning.h"

#include <algorithm>

namespace deepgate {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}
std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Length of the longest suffix of `text` that is a proper prefix of `tag`: bytes that may
// still turn into the tag once more text arrives.
size_t PossibleTagPrefix(std::string_view text, std::string_view tag) {
  for (size_t n = std::min(text.size(), tag.size() - 1); n > 0; --n) {
    if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
  }
  return 0;
}

ReasoningSplit SplitInsideBlock(std::string_view rest) {
  ReasoningSplit split;
  size_t close = rest.find(kClose);
  if (close == std::string_view::npos) {
    split.reasoning = std::string(TrimRight(TrimLeft(rest)));
    return split;
  }
  split.reasoning = std::string(TrimRight(TrimLeft(rest.substr(0, close))));
  split.content = std::string(TrimLeft(rest.substr(close + kClose.size())));
  return split;
}

}  // namespace

ReasoningSplit SplitReasoning(std::string_view text, bool starts_in_reasoning) {
  if (starts_in_reasoning) return SplitInsideBlock(text);
  std::string_view start = TrimLeft(text);
  if (start.substr(0, kOpen.size()) == kOpen) return SplitInsideBlock(start.substr(kOpen.size()));
  return ReasoningSplit{std::string(), std::string(text)};
}

ReasoningStreamSplitter::ReasoningStreamSplitter(bool starts_in_reasoning)
    : state_(starts_in_reasoning ? State::kReasoning : State::kUndecided) {}

ReasoningSplit ReasoningStreamSplitter::Push(std::string_view piece) {
  pending_.append(piece);
  ReasoningSplit out;
  Process(out);
  return out;
}

// Moves as much of pending_ into `out` as the rules allow; loops because one piece can
// cross from one state into the next.
void ReasoningStreamSplitter::Process(ReasoningSplit& out) {
  for (;;) {
    switch (state_) {
      case State::kUndecided: {
        std::string_view start = TrimLeft(pending_);
        if (start.substr(0, kOpen.size()) == kOpen) {
          pending_ = std::string(start.substr(kOpen.size()));
          state_ = State::kReasoning;
          continue;
        }
        if (kOpen.substr(0, start.size()) == start) return;  // still maybe "<think>"
        state_ = State::kContent;
        continue;
      }
      case State::kReasoning: {
        if (!reasoning_started_) pending_ = std::string(TrimLeft(pending_));
        size_t close = pending_.find(kClose);
        if (close != std::string::npos) {
          out.reasoning.append(TrimRight(std::string_view(pending_).substr(0, close)));
          pending_.erase(0, close + kClose.size());
          state_ = State::kContentStart;
          continue;
        }
        // Hold a possible "</think>" prefix and the whitespace before it (trimmed if the tag
        // follows); emit the rest.
        std::string_view view(pending_);
        std::string_view ready =
            TrimRight(view.substr(0, view.size() - PossibleTagPrefix(view, kClose)));
        if (!ready.empty()) {
          out.reasoning.append(ready);
          reasoning_started_ = true;
          pending_.erase(0, ready.size());
        }
        return;
      }
      case State::kContentStart: {
        pending_ = std::string(TrimLeft(pending_));
        if (pending_.empty()) return;
        state_ = State::kContent;
        continue;
      }
      case State::kContent:
        out.content.append(pending_);
        pending_.clear();
        return;
    }
  }
}

ReasoningSplit ReasoningStreamSplitter::Finish() {
  ReasoningSplit out;
  switch (state_) {
    case State::kUndecided:
    case State::kContent:
      out.content = std::move(pending_);
      break;
    case State::kReasoning: {
      std::string_view rest = TrimRight(pending_);
      if (!reasoning_started_) rest = TrimLeft(rest);
      out.reasoning = std::string(rest);
      break;
    }
    case State::kContentStart:
      break;  // only whitespace was held
  }
  pending_.clear();
  return out;
}

}  // namespace deepgate
