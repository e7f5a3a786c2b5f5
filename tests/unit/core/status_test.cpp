#include "core/status.h"

#include <gtest/gtest.h>

namespace deepgate {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd");
  return x / 2;
}

Status Chain(int x, int* out) {
  DG_ASSIGN_OR_RETURN(int h, Half(x));
  DG_ASSIGN_OR_RETURN(int q, Half(h));
  *out = q;
  return Status::Ok();
}

TEST(Status, OkByDefault) { EXPECT_TRUE(Status().ok()); }

TEST(Status, CarriesCodeAndMessageWithContext) {
  Status s = Status::NotFound("no such tensor").WithContext("model");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "model: no such tensor");
  EXPECT_EQ(s.ToString(), "NotFound: model: no such tensor");
}

TEST(Result, PropagatesTheFirstError) {
  int out = 0;
  EXPECT_TRUE(Chain(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Chain(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace deepgate
