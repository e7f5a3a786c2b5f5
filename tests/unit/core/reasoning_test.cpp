// Reasoning split: the batch rules, and the streaming splitter agreeing with them for every
// way of cutting the text into pieces.
#include "core/reasoning.h"

#include <vector>

#include <gtest/gtest.h>

namespace deepgate {
namespace {

ReasoningSplit Stream(std::string_view text, bool starts_in_reasoning,
                      const std::vector<size_t>& cuts) {
  ReasoningStreamSplitter splitter(starts_in_reasoning);
  ReasoningSplit total;
  size_t at = 0;
  auto add = [&](const ReasoningSplit& d) {
    // The first "</think>" ends the block, so no reasoning delta can carry one.
    EXPECT_EQ(d.reasoning.find("</think>"), std::string::npos);
    total.reasoning += d.reasoning;
    total.content += d.content;
  };
  for (size_t cut : cuts) {
    add(splitter.Push(text.substr(at, cut - at)));
    at = cut;
  }
  add(splitter.Push(text.substr(at)));
  add(splitter.Finish());
  return total;
}

TEST(SplitReasoningTest, SeparatesThinkBlockFromAnswer) {
  ReasoningSplit s = SplitReasoning("<think>\nLet me add.\n</think>\n\n4", false);
  EXPECT_EQ(s.reasoning, "Let me add.");
  EXPECT_EQ(s.content, "4");
}

TEST(SplitReasoningTest, StartsInReasoningWhenPromptOpenedTheBlock) {
  ReasoningSplit s = SplitReasoning("Let me add.\n</think>\n\n4", true);
  EXPECT_EQ(s.reasoning, "Let me add.");
  EXPECT_EQ(s.content, "4");
}

TEST(SplitReasoningTest, NoThinkBlockIsAllContentUnchanged) {
  ReasoningSplit s = SplitReasoning("  plain answer\n", false);
  EXPECT_EQ(s.reasoning, "");
  EXPECT_EQ(s.content, "  plain answer\n");
}

TEST(SplitReasoningTest, UnclosedBlockIsAllReasoning) {
  ReasoningSplit s = SplitReasoning("<think>\nstill thinking ", false);
  EXPECT_EQ(s.reasoning, "still thinking");
  EXPECT_EQ(s.content, "");
}

TEST(SplitReasoningTest, ThinkTagLaterInTextIsContent) {
  ReasoningSplit s = SplitReasoning("Answer: <think>x</think>", false);
  EXPECT_EQ(s.reasoning, "");
  EXPECT_EQ(s.content, "Answer: <think>x</think>");
}

TEST(SplitReasoningTest, TagsAfterTheBlockStayInContent) {
  ReasoningSplit s = SplitReasoning("r</think>a</think>b", true);
  EXPECT_EQ(s.reasoning, "r");
  EXPECT_EQ(s.content, "a</think>b");
}

TEST(SplitReasoningTest, EmptyThinkBlockGivesEmptyReasoning) {
  ReasoningSplit s = SplitReasoning("<think>\n\n</think>\n\nHi", false);
  EXPECT_EQ(s.reasoning, "");
  EXPECT_EQ(s.content, "Hi");
}

TEST(ReasoningStreamSplitterTest, HoldsPartialCloseTagBack) {
  ReasoningStreamSplitter splitter(true);
  ReasoningSplit a = splitter.Push("abc</th");
  EXPECT_EQ(a.reasoning, "abc");
  ReasoningSplit b = splitter.Push("ink>\n\nanswer");
  EXPECT_EQ(b.reasoning, "");
  EXPECT_EQ(b.content, "answer");
}

TEST(ReasoningStreamSplitterTest, ReleasesHeldTextThatWasNotATag) {
  ReasoningStreamSplitter splitter(true);
  EXPECT_EQ(splitter.Push("a </t").reasoning, "a");
  EXPECT_EQ(splitter.Push("able").reasoning, " </table");
}

TEST(ReasoningStreamSplitterTest, HoldsPossibleOpenTagAtStart) {
  ReasoningStreamSplitter splitter(false);
  ReasoningSplit a = splitter.Push("<thi");
  EXPECT_EQ(a.content, "");
  EXPECT_EQ(a.reasoning, "");
  EXPECT_EQ(splitter.Push("nk>\nhm").reasoning, "hm");
  EXPECT_TRUE(splitter.in_reasoning());
}

TEST(ReasoningStreamSplitterTest, PlainOutputPassesThroughOnceUndecidable) {
  ReasoningStreamSplitter splitter(false);
  EXPECT_EQ(splitter.Push("<b>").content, "<b>");
  EXPECT_EQ(splitter.Push("old").content, "old");
}

TEST(ReasoningStreamSplitterTest, FinishReleasesUnclosedReasoning) {
  ReasoningStreamSplitter splitter(true);
  EXPECT_EQ(splitter.Push("x </thi").reasoning, "x");
  EXPECT_EQ(splitter.Finish().reasoning, " </thi");
}

// Every split point (and every pair of split points) of these texts must give exactly the
// batch result.
TEST(ReasoningStreamSplitterTest, AgreesWithBatchForEverySplit) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"<think>\nLet me add.\n</think>\n\n4", false},
      {"Let me add 2 and 2.\n</think>\n\nThe answer is 4.", true},
      {"  <think> a </think>  b  ", false},
      {"<think></think>", false},
      {"<thin", false},
      {"plain </think> text", false},
      {"r </t </th </think>\n</think> c", true},
      {"\n\n  ", true},
      {"<think>\nno end ", false},
  };
  for (const auto& [text, starts] : cases) {
    ReasoningSplit want = SplitReasoning(text, starts);
    for (size_t i = 0; i <= text.size(); ++i) {
      for (size_t j = i; j <= text.size(); ++j) {
        ReasoningSplit got = Stream(text, starts, {i, j});
        ASSERT_EQ(got.reasoning, want.reasoning) << "text=" << text << " cuts " << i << "," << j;
        ASSERT_EQ(got.content, want.content) << "text=" << text << " cuts " << i << "," << j;
      }
    }
  }
}

TEST(ReasoningStreamSplitterTest, AgreesWithBatchForBytewisePieces) {
  const std::string text = "<think>\nStep 1: 2+2.\nStep 2: </thinking is hard>\n</think>\n\n4";
  std::vector<size_t> cuts;
  for (size_t i = 1; i < text.size(); ++i) cuts.push_back(i);
  ReasoningSplit want = SplitReasoning(text, false);
  ReasoningSplit got = Stream(text, false, cuts);
  EXPECT_EQ(got.reasoning, "Step 1: 2+2.\nStep 2: </thinking is hard>");
  EXPECT_EQ(got.reasoning, want.reasoning);
  EXPECT_EQ(got.content, want.content);
}

}  // namespace
}  // namespace deepgate
