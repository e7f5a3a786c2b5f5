// Model files: SHA-256 over the mmap, the manifest (config "models", models.json), which model
// the worker serves, and shredding (checked through a second hard link, which still names the
// inode after the unlink: the overwrite, not just the unlink, is what is observed).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fcgi/config.h"
#include "fcgi/models/file_digest.h"
#include "fcgi/models/model_manifest.h"
#include "fcgi/models/secure_delete.h"
#include "fcgi/server/model_loader.h"
#include "test_support.h"

namespace deepgate::fcgi::models {
namespace {

std::string WriteFile(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
  return p.string();
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ModelFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("models"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ModelFilesTest, Sha256MatchesTheKnownDigest) {
  auto d = Sha256File(WriteFile(dir_ / "abc", "abc"));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->sha256_hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(d->bytes, 3u);
  auto empty = Sha256File(WriteFile(dir_ / "empty", ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->sha256_hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_FALSE(Sha256File((dir_ / "missing").string()).ok());
}

TEST_F(ModelFilesTest, Sha256ReportsProgressToTheEnd) {
  const std::string big(size_t{65} << 20, 'x');  // more than one 64 MiB chunk
  uint64_t last = 0, calls = 0;
  auto d = Sha256File(WriteFile(dir_ / "big", big), [&](uint64_t done, uint64_t total) {
    EXPECT_EQ(total, big.size());
    EXPECT_GT(done, last);
    last = done;
    ++calls;
  });
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(last, big.size());
  EXPECT_EQ(calls, 2u);
}

TEST_F(ModelFilesTest, ManifestRoundTripsAndResolvesRelativePaths) {
  const std::string path = (dir_ / "models.json").string();
  EXPECT_TRUE(LoadManifest(path)->empty());  // missing = empty
  std::vector<ModelEntry> in = {{"a", "/m/a.gguf", std::string(64, 'a')}, {"b", "/m/b.gguf", ""}};
  ASSERT_TRUE(SaveManifest(path, in).ok());
  auto out = LoadManifest(path);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].sha256, std::string(64, 'a'));
  EXPECT_EQ((*out)[1].sha256, "");
  auto rel = ParseManifest(R"({"models": [{"id": "r", "path": "r.gguf"}]})", "t", "/srv");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ((*rel)[0].path, "/srv/r.gguf");
  EXPECT_FALSE(ParseManifest(R"({"models": [{"id": "r", "path": "x", "sha256": "zz"}]})", "t", "").ok());
  EXPECT_FALSE(ParseManifest(R"({"models": [{"id": "r", "path": "x"}, {"id": "r", "path": "y"}]})", "t", "").ok());
}

TEST_F(ModelFilesTest, ConfigServesTheFirstListedModelWithItsHash) {
  auto c = ParseConfig(R"({"models": [{"id": "a", "path": "/m/a.gguf", "sha256": ")" + std::string(64, 'b') +
                           R"("}, {"id": "b", "path": "/m/b.gguf"}]})",
                       "t");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->model_path, "/m/a.gguf");
  EXPECT_EQ(EffectiveModelId(*c), "a");
  EXPECT_EQ(c->model_sha256, std::string(64, 'b'));
  EXPECT_FALSE(ParseConfig(R"({"models": []})", "t").ok());
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m", "model_sha256": "abc"})", "t").ok());
}

TEST_F(ModelFilesTest, ConfigReadsTheManifestFileNextToIt) {
  ASSERT_TRUE(SaveManifest((dir_ / "models.json").string(), {{"m", "/m/m.gguf", std::string(64, 'c')}}).ok());
  WriteFile(dir_ / "deepgate.json", "// operator's comment\n{\"model_manifest\": \"models.json\"}\n");
  auto c = LoadConfig((dir_ / "deepgate.json").string());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->model_path, "/m/m.gguf");
  EXPECT_EQ(c->model_sha256, std::string(64, 'c'));
}

TEST_F(ModelFilesTest, ShredOverwritesTheInodeThatAnotherLinkStillNames) {
  const std::string marker = "DEEPGATE-SECRET-WEIGHTS-";
  std::string original;
  while (original.size() < (size_t{5} << 20)) original += marker;  // spans several write blocks
  const std::string path = WriteFile(dir_ / "model.gguf", original);
  const std::filesystem::path link = dir_ / "link.gguf";
  ASSERT_EQ(::link(path.c_str(), link.c_str()), 0);
  ShredOptions o;
  o.random_passes = 1;
  o.keep_size = true;  // observe the zero pass through the link
  int passes_seen = 0;
  o.on_pass = [&](int, int) { ++passes_seen; };
  auto r = ShredFile(path, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->passes, 2);
  EXPECT_EQ(passes_seen, 2);
  EXPECT_EQ(r->links, 2u);
  EXPECT_FALSE(std::filesystem::exists(path));
  const std::string after = ReadFile(link);
  ASSERT_EQ(after.size(), original.size());
  EXPECT_EQ(after, std::string(original.size(), '\0'));
}

TEST_F(ModelFilesTest, ShredTruncatesByDefault) {
  const std::string path = WriteFile(dir_ / "model.gguf", std::string(100000, 'w'));
  const std::filesystem::path link = dir_ / "link.gguf";
  ASSERT_EQ(::link(path.c_str(), link.c_str()), 0);
  auto r = ShredFile(path, ShredOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bytes, 100000u);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(std::filesystem::file_size(link), 0u);
}

TEST_F(ModelFilesTest, ShredRefusesASymlink) {
  const std::string target = WriteFile(dir_ / "real", "keep me");
  std::filesystem::create_symlink(target, dir_ / "sym");
  EXPECT_FALSE(ShredFile((dir_ / "sym").string(), ShredOptions{}).ok());
  EXPECT_EQ(ReadFile(target), "keep me");
}

}  // namespace
}  // namespace deepgate::fcgi::models

namespace deepgate::fcgi::models {
namespace {

TEST_F(ModelFilesTest, VerifyModelFileRejectsAMismatchWithBothHashes) {
  WorkerConfig c;
  c.model_path = WriteFile(dir_ / "m.gguf", "abc");
  c.model_sha256 = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";  // case does not matter
  ASSERT_TRUE(VerifyModelFile(c).ok());
  EXPECT_FALSE(*VerifyModelFile(c));
  c.model_sha256 = std::string(64, '0');
  Result<std::optional<Refusal>> r = VerifyModelFile(c);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(*r);
  const Refusal& rejected = **r;
  EXPECT_EQ(rejected.reason, RefusalReason::kModelRejected);
  EXPECT_EQ(AuditReason(rejected), "sha256_mismatch");
  EXPECT_EQ(rejected.status.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(rejected.status.message().find("expected sha256 " + std::string(64, '0') + " actual ba7816bf"),
            std::string::npos);
  c.model_sha256.clear();  // not verified: served, with a warning
  ASSERT_TRUE(VerifyModelFile(c).ok());
  EXPECT_FALSE(*VerifyModelFile(c));
  c.model_sha256 = std::string(64, '0');
  c.model_path = (dir_ / "missing.gguf").string();  // unreadable: an error, not a rejection
  EXPECT_FALSE(VerifyModelFile(c).ok());
}

}  // namespace
}  // namespace deepgate::fcgi::models
