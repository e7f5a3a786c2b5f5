// libFuzzer target for the GGUF reader: any byte string must parse to a clean error or to a
// file whose every tensor lies inside the input, and all metadata getters must stay in bounds.
// A file naming a supported architecture then goes through that architecture's builder (every
// hyperparameter, shape and layout check of Model::Load, e.g. deepseek2's ranks and experts),
// which must answer with a value, never crash.
#include <cstdint>
#include <cstdlib>

#include "core/gguf.h"
#include "core/model/arch.h"
#include "core/model/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = deepgate::GgufFile::FromMemory(data, size);
  if (!f.ok()) return 0;
  for (const auto& kv : f->metadata()) {
    (void)f->ValueToString(kv, 4);
    (void)f->GetString(kv.key);
    (void)f->GetUint(kv.key);
    (void)f->GetFloat(kv.key);
    (void)f->GetBool(kv.key);
    (void)f->GetStringArray(kv.key);
    (void)f->GetFloatArray(kv.key);
    (void)f->GetIntArray(kv.key);
  }
  volatile uint8_t sink = 0;
  for (const auto& t : f->tensors()) {
    if (t.data < data || t.data + t.nbytes > data + size) std::abort();
    if (t.nbytes) sink = sink ^ t.data[0] ^ t.data[t.nbytes - 1];
  }
  auto arch = f->GetString("general.architecture");
  if (arch.ok()) {
    if (const deepgate::ArchEntry* entry = deepgate::FindArch(*arch)) {
      (void)entry->build(*f, std::string(*arch), deepgate::ModelOptions{});
    }
  }
  return 0;
}
