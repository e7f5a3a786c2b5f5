// Stop strings: exact truncation, hold-back of possible prefixes, stops across pieces.
#include "core/stop_strings.h"

#include <gtest/gtest.h>

namespace deepgate {
namespace {

StopStringMatcher Make(std::vector<std::string> stops) {
  auto m = StopStringMatcher::Create(std::move(stops));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

// Feeds the pieces; returns everything emitted (plus Flush() if no stop) and whether it stopped.
std::pair<std::string, bool> Feed(StopStringMatcher& m, const std::vector<std::string>& pieces) {
  std::string out;
  for (const std::string& p : pieces) {
    StopPushResult r = m.Push(p);
    out += r.emit;
    if (r.stopped) return {out, true};
  }
  return {out + m.Flush(), false};
}

TEST(StopStringMatcherTest, TruncatesExactlyBeforeStop) {
  StopStringMatcher m = Make({"END"});
  StopPushResult r = m.Push("hello END world");
  EXPECT_EQ(r.emit, "hello ");
  EXPECT_TRUE(r.stopped);
}

TEST(StopStringMatcherTest, HoldsPossiblePrefixUntilDisambiguated) {
  StopStringMatcher m = Make({"END"});
  StopPushResult a = m.Push("hello E");
  EXPECT_EQ(a.emit, "hello ");
  EXPECT_FALSE(a.stopped);
  StopPushResult b = m.Push("very");
  EXPECT_EQ(b.emit, "Every");
  EXPECT_FALSE(b.stopped);
}

TEST(StopStringMatcherTest, StopSpanningManyPieces) {
  StopStringMatcher m = Make({"<|stop|>"});
  auto [out, stopped] = Feed(m, {"ab", "<", "|", "st", "op", "|", ">tail"});
  EXPECT_EQ(out, "ab");
  EXPECT_TRUE(stopped);
}

TEST(StopStringMatcherTest, EarliestOfSeveralStopsWins) {
  StopStringMatcher m = Make({"xyz", "b"});
  StopPushResult r = m.Push("a b xyz");
  EXPECT_EQ(r.emit, "a ");
  EXPECT_TRUE(r.stopped);
}

TEST(StopStringMatcherTest, FlushReturnsHeldTextWhenNoStop) {
  StopStringMatcher m = Make({"STOP"});
  EXPECT_EQ(m.Push("abc ST").emit, "abc ");
  EXPECT_EQ(m.Flush(), "ST");
}

TEST(StopStringMatcherTest, NothingAfterStop) {
  StopStringMatcher m = Make({"."});
  EXPECT_TRUE(m.Push("one.").stopped);
  StopPushResult r = m.Push("two");
  EXPECT_EQ(r.emit, "");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopStringMatcherTest, NoStopsPassesEverythingThrough) {
  StopStringMatcher m = Make({});
  EXPECT_EQ(m.Push("any text").emit, "any text");
}

TEST(StopStringMatcherTest, OverlappingPrefixRestartIsFound) {
  // "xaaab": after "xaaa" only the last "aa" may start the stop, so one "a" is released.
  StopStringMatcher m = Make({"aab"});
  auto [out, stopped] = Feed(m, {"xa", "a", "a", "b"});
  EXPECT_EQ(out, "xa");
  EXPECT_TRUE(stopped);
}

TEST(StopStringMatcherTest, EverySplitGivesTheSameResult) {
  const std::string text = "The answer is 42.\n\nUser: more";
  for (size_t i = 0; i <= text.size(); ++i) {
    for (size_t j = i; j <= text.size(); ++j) {
      StopStringMatcher m = Make({"\n\nUser:", "Observation"});
      auto [out, stopped] = Feed(m, {text.substr(0, i), text.substr(i, j - i), text.substr(j)});
      ASSERT_TRUE(stopped) << i << "," << j;
      ASSERT_EQ(out, "The answer is 42.") << i << "," << j;
    }
  }
}

TEST(StopStringMatcherTest, ValidateRejectsTooManyStops) {
  EXPECT_EQ(StopStringMatcher::Validate({"a", "b", "c", "d", "e"}).code(),
            StatusCode::kInvalidArgument);
}

TEST(StopStringMatcherTest, ValidateRejectsEmptyStop) {
  EXPECT_EQ(StopStringMatcher::Validate({"a", ""}).code(), StatusCode::kInvalidArgument);
}

TEST(StopStringMatcherTest, ValidateRejectsOverlongStop) {
  EXPECT_EQ(StopStringMatcher::Validate({std::string(StopStringMatcher::kMaxStopBytes + 1, 'x')})
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      StopStringMatcher::Validate({std::string(StopStringMatcher::kMaxStopBytes, 'x')}).ok());
}

}  // namespace
}  // namespace deepgate
