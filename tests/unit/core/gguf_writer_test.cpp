// GgufWriter: files it writes open with GgufFile and read back every value and tensor byte;
// misuse (duplicate keys, wrong data sizes, incomplete tensors) is an error, not a bad file.
#include "core/gguf_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/gguf.h"
#include "core/quant/quant.h"

namespace deepgate {
namespace {

class GgufWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gguf_writer_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "out.gguf").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::string path_;
};

std::vector<uint8_t> QuantizedRows(GgmlType t, int64_t n, int64_t rows) {
  std::vector<float> src(static_cast<size_t>(n));
  const size_t row_bytes = *RowBytes(t, n);
  std::vector<uint8_t> out(row_bytes * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < n; ++i) src[static_cast<size_t>(i)] = 0.01f * static_cast<float>((i * 7 + r * 13) % 23 - 11);
    quant::QuantizeRow(t, src.data(), out.data() + static_cast<size_t>(r) * row_bytes, n);
  }
  return out;
}

TEST_F(GgufWriterTest, RoundTripsEveryMetadataType) {
  GgufWriter w;
  ASSERT_TRUE(w.AddU32("t.u32", 4000000000u).ok());
  ASSERT_TRUE(w.AddI32("t.i32", -123456).ok());
  ASSERT_TRUE(w.AddU64("t.u64", 1ull << 40).ok());
  ASSERT_TRUE(w.AddF32("t.f32", 1.5e-6f).ok());
  ASSERT_TRUE(w.AddBool("t.true", true).ok());
  ASSERT_TRUE(w.AddBool("t.false", false).ok());
  ASSERT_TRUE(w.AddString("t.str", "h\xC3\xA9llo").ok());
  ASSERT_TRUE(w.AddString("t.empty", "").ok());
  ASSERT_TRUE(w.AddStringArray("t.strs", {"a", "", "<|im_end|>"}).ok());
  ASSERT_TRUE(w.AddF32Array("t.f32s", {0.5f, -2.0f}).ok());
  ASSERT_TRUE(w.AddI32Array("t.i32s", {1, -1, 3}).ok());
  ASSERT_TRUE(w.Begin(path_).ok());
  ASSERT_TRUE(w.Finish().ok());

  auto f = GgufFile::Open(path_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(*f->GetUint("t.u32"), 4000000000u);
  EXPECT_EQ(f->FindKv("t.u32")->type, GgufValueType::kUint32);
  EXPECT_EQ(*f->GetInt("t.i32"), -123456);
  EXPECT_EQ(f->FindKv("t.i32")->type, GgufValueType::kInt32);
  EXPECT_EQ(*f->GetUint("t.u64"), 1ull << 40);
  EXPECT_EQ(f->FindKv("t.u64")->type, GgufValueType::kUint64);
  EXPECT_FLOAT_EQ(static_cast<float>(*f->GetFloat("t.f32")), 1.5e-6f);
  EXPECT_TRUE(*f->GetBool("t.true"));
  EXPECT_FALSE(*f->GetBool("t.false"));
  EXPECT_EQ(*f->GetString("t.str"), "h\xC3\xA9llo");
  EXPECT_EQ(*f->GetString("t.empty"), "");
  auto strs = f->GetStringArray("t.strs");
  ASSERT_TRUE(strs.ok());
  EXPECT_EQ(*strs, (std::vector<std::string_view>{"a", "", "<|im_end|>"}));
  EXPECT_EQ(*f->GetFloatArray("t.f32s"), (std::vector<float>{0.5f, -2.0f}));
  EXPECT_EQ(*f->GetIntArray("t.i32s"), (std::vector<int64_t>{1, -1, 3}));
  EXPECT_TRUE(f->tensors().empty());
}

TEST_F(GgufWriterTest, RoundTripsTensorsOfSeveralTypes) {
  struct Case {
    const char* name;
    GgmlType type;
    std::vector<int64_t> ne;
  };
  const std::vector<Case> cases = {
      {"a.f32", GgmlType::F32, {5}},            // odd size: forces padding before the next
      {"b.f16", GgmlType::F16, {7, 3}},
      {"c.q8_0", GgmlType::Q8_0, {64, 2}},
      {"d.q4_0", GgmlType::Q4_0, {32, 3}},
      {"e.q5_0", GgmlType::Q5_0, {96, 1}},
      {"f.q4_k", GgmlType::Q4_K, {256, 2}},
      {"g.q6_k", GgmlType::Q6_K, {512, 1, 2}},
  };
  GgufWriter w(64);
  std::vector<std::vector<uint8_t>> data;
  for (const Case& c : cases) {
    ASSERT_TRUE(w.AddTensorInfo(c.name, c.type, c.ne).ok()) << c.name;
    int64_t rows = 1;
    for (size_t d = 1; d < c.ne.size(); ++d) rows *= c.ne[d];
    data.push_back(QuantizedRows(c.type, c.ne[0], rows));
  }
  ASSERT_TRUE(w.AddString("general.architecture", "test").ok());
  const uint64_t expected_size = w.FileSize();
  ASSERT_TRUE(w.Begin(path_).ok());
  for (size_t i = 0; i < cases.size(); ++i) {
    // Row by row for the first tensor, whole for the rest: chunking must not matter.
    if (i == 1) {
      const size_t row = data[i].size() / 3;
      for (size_t r = 0; r < 3; ++r) ASSERT_TRUE(w.WriteTensorData(data[i].data() + r * row, row).ok());
    } else {
      ASSERT_TRUE(w.WriteTensorData(data[i].data(), data[i].size()).ok()) << cases[i].name;
    }
  }
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));

  auto f = GgufFile::Open(path_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->file_size(), expected_size);
  EXPECT_EQ(f->alignment(), 64u);
  ASSERT_EQ(f->tensors().size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const GgufTensor& t = f->tensors()[i];
    EXPECT_EQ(t.name, cases[i].name);
    EXPECT_EQ(t.type, cases[i].type);
    EXPECT_EQ(t.n_dims, static_cast<int>(cases[i].ne.size()));
    for (size_t d = 0; d < cases[i].ne.size(); ++d) EXPECT_EQ(t.ne[d], cases[i].ne[d]);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u) << t.name;
    ASSERT_EQ(t.nbytes, data[i].size());
    EXPECT_EQ(std::memcmp(t.data, data[i].data(), t.nbytes), 0) << t.name;
  }
}

TEST_F(GgufWriterTest, FileIsWorldReadable) {
  GgufWriter w;
  ASSERT_TRUE(w.AddU32("k", 1).ok());
  ASSERT_TRUE(w.Begin(path_).ok());
  ASSERT_TRUE(w.Finish().ok());
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(GgufWriterTest, RejectsDuplicateKey) {
  GgufWriter w;
  ASSERT_TRUE(w.AddU32("general.x", 1).ok());
  Status s = w.AddString("general.x", "again");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("duplicate"), std::string::npos);
}

TEST_F(GgufWriterTest, RejectsAlignmentKeyFromCaller) {
  GgufWriter w;
  EXPECT_EQ(w.AddU32("general.alignment", 64).code(), StatusCode::kInvalidArgument);
}

TEST_F(GgufWriterTest, RejectsDuplicateTensorName) {
  GgufWriter w;
  ASSERT_TRUE(w.AddTensorInfo("t", GgmlType::F32, {4}).ok());
  EXPECT_EQ(w.AddTensorInfo("t", GgmlType::F32, {4}).code(), StatusCode::kInvalidArgument);
}

TEST_F(GgufWriterTest, RejectsRowLengthNotWholeBlocks) {
  GgufWriter w;
  EXPECT_EQ(w.AddTensorInfo("q", GgmlType::Q8_0, {48, 2}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.AddTensorInfo("k", GgmlType::Q4_K, {896, 2}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.AddTensorInfo("z", GgmlType::F32, {4, 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.AddTensorInfo("d", GgmlType::F32, {1, 1, 1, 1, 1}).code(), StatusCode::kInvalidArgument);
}

TEST_F(GgufWriterTest, RejectsDataThatIsNotWholeRows) {
  GgufWriter w;
  ASSERT_TRUE(w.AddTensorInfo("t", GgmlType::Q8_0, {32, 2}).ok());  // rows of 34 bytes
  ASSERT_TRUE(w.Begin(path_).ok());
  std::vector<uint8_t> bytes(68, 0);
  EXPECT_EQ(w.WriteTensorData(bytes.data(), 33).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.WriteTensorData(bytes.data(), 102).code(), StatusCode::kInvalidArgument);  // 3 rows
  ASSERT_TRUE(w.WriteTensorData(bytes.data(), 68).ok());
  EXPECT_EQ(w.WriteTensorData(bytes.data(), 34).code(), StatusCode::kInvalidArgument);  // past the end
  EXPECT_TRUE(w.Finish().ok());
}

TEST_F(GgufWriterTest, IncompleteTensorFailsAndLeavesNoFile) {
  {
    GgufWriter w;
    ASSERT_TRUE(w.AddTensorInfo("t", GgmlType::F32, {4, 2}).ok());
    ASSERT_TRUE(w.Begin(path_).ok());
    std::vector<float> row(4, 1.0f);
    ASSERT_TRUE(w.WriteTensorData(row.data(), 16).ok());
    EXPECT_EQ(w.Finish().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
}

TEST_F(GgufWriterTest, UnwritableDirectoryIsIoError) {
  GgufWriter w;
  EXPECT_EQ(w.Begin((dir_ / "missing" / "x.gguf").string()).code(), StatusCode::kIoError);
}

TEST_F(GgufWriterTest, RejectsBadAlignment) {
  GgufWriter w(48);
  EXPECT_EQ(w.AddTensorInfo("t", GgmlType::F32, {4}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.Begin(path_).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace deepgate
