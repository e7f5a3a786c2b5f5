// Reasoning split: separates a DeepSeek-R1 answer "<think>\n…\n</think>\n\nanswer" into the
// reasoning text and the answer, as DeepSeek's API returns them (reasoning_content and
// content).
//
// Rules (the batch and streaming forms give identical results for any split of the text):
// - Only one reasoning block, at the start. If the output does not start (after optional
//   whitespace) with "<think>", all of it is content, unchanged.
// - starts_in_reasoning: the prompt already opened the block (the R1 generation prompt ends
//   with "<think>\n"), so the output starts inside it.
// - Reasoning loses its leading and trailing whitespace; content loses its leading
//   whitespace (the "\n\n" after "</think>"). An unclosed block (generation cut short) is
//   all reasoning.
// - Text after "</think>" is content verbatim, even if it contains the tags again.
//
// Thread-safety: ReasoningStreamSplitter is a plain value; one per stream, not shared.
#pragma once

#include <string>
#include <string_view>

namespace deepgate {

struct ReasoningSplit {
  std::string reasoning;
  std::string content;
};

ReasoningSplit SplitReasoning(std::string_view text, bool starts_in_reasoning);

// Streaming form: feed decoded text pieces in order, collect the deltas. Never emits any
// part of a "<think>" or "</think>" tag into either stream: text that might still become a
// tag (or whitespace that might still be trimmed) is held until the next piece decides it.
class ReasoningStreamSplitter {
 public:
  explicit ReasoningStreamSplitter(bool starts_in_reasoning);

  // Deltas to append to the two streams; either may be empty.
  ReasoningSplit Push(std::string_view piece);
  // End of generation: releases whatever is still held.
  ReasoningSplit Finish();

  bool in_reasoning() const { return state_ == State::kReasoning; }

 private:
  enum class State {
    kUndecided,     // at the start: might still be "<think>"
    kReasoning,     // inside the block
    kContentStart,  // just after "</think>": dropping leading whitespace
    kContent,       // passing everything through
  };
  void Process(ReasoningSplit& out);

  State state_;
  std::string pending_;  // text received but not yet emitted
  bool reasoning_started_ = false;  // emitted any reasoning (leading whitespace is dropped until then)
};

}  // namespace deepgate
