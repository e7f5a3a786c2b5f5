// Public quant API: picks the kernel family once (scalar or AVX2, by CPU features) and
// forwards each call through a per-type table.
// Thread-safety: the tables are built once under a function-local static; ForceKernels swaps
// the active table pointer and must not race with kernel calls (tests only).
#include "core/quant/quant.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <array>
#include <atomic>

#include "core/quant/kernels.h"

namespace deepgate::quant {
namespace {

constexpr size_t kMaxTypeId = 32;  // ids are < 32 (BF16 = 30)
using KernelTable = std::array<TypeKernels, kMaxTypeId>;

TypeKernels ScalarKernels(GgmlType t) {
  TypeKernels k = ScalarLegacyKernels(t);
  if (k.dequantize || k.quantize) return k;
  return ScalarKQuantKernels(t);
}

void Overlay(TypeKernels& k, const TypeKernels& fast) {
  if (fast.dequantize) k.dequantize = fast.dequantize;
  if (fast.quantize) k.quantize = fast.quantize;
  if (fast.vec_dot) k.vec_dot = fast.vec_dot;
  if (fast.vec_dot_rows) k.vec_dot_rows = fast.vec_dot_rows;
}

// set's table; a set the CPU lacks is never built (its kernels would fault).
KernelTable BuildTable(KernelSet set) {
  KernelTable table{};
  for (size_t id = 0; id < kMaxTypeId; ++id) {
    const auto t = static_cast<GgmlType>(id);
    TypeKernels k = ScalarKernels(t);
    if (set != KernelSet::kScalar) Overlay(k, Avx2Kernels(t));
    if (set >= KernelSet::kAvxVnni) Overlay(k, AvxVnniKernels(t));
    if (set == KernelSet::kAvx512) Overlay(k, Avx512Kernels(t));
    table[id] = k;
  }
  return table;
}

struct Tables {
  KernelSet best = CpuHasAvx512Vnni() ? KernelSet::kAvx512
                   : CpuHasAvxVnni()  ? KernelSet::kAvxVnni
                   : CpuHasAvx2()     ? KernelSet::kAvx2
                                      : KernelSet::kScalar;
  KernelTable scalar = BuildTable(KernelSet::kScalar);
  KernelTable avx2 = BuildTable(best >= KernelSet::kAvx2 ? KernelSet::kAvx2 : KernelSet::kScalar);
  KernelTable avxvnni = BuildTable(best >= KernelSet::kAvxVnni ? KernelSet::kAvxVnni : KernelSet::kScalar);
  KernelTable avx512 = BuildTable(best >= KernelSet::kAvx512 ? KernelSet::kAvx512 : KernelSet::kScalar);

  const KernelTable* Of(KernelSet set) const {
    switch (set) {
      case KernelSet::kAvx512: return &avx512;
      case KernelSet::kAvxVnni: return &avxvnni;
      case KernelSet::kAvx2: return &avx2;
      case KernelSet::kScalar: break;
    }
    return &scalar;
  }
};

const Tables& AllTables() {
  static const Tables tables;
  return tables;
}

std::atomic<KernelSet>& ActiveSlot() {
  static std::atomic<KernelSet> slot{AllTables().best};
  return slot;
}

const TypeKernels& Kernels(GgmlType t) {
  static const TypeKernels kNone{};
  const auto id = static_cast<size_t>(t);
  if (id >= kMaxTypeId) return kNone;
  return (*AllTables().Of(ActiveSlot().load(std::memory_order_relaxed)))[id];
}

}  // namespace

// Lives here, not in an *_avx2.cpp file, because those may contain AVX2 instructions anywhere.
bool CpuHasAvx2() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports has no "f16c".
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
#else
  return false;
#endif
}

bool CpuHasAvxVnni() {
#if defined(__x86_64__) || defined(__i386__)
  // AVX-VNNI: CPUID leaf 7 sub-leaf 1, EAX bit 4 (the OS's YMM state is covered by the AVX2 check).
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return CpuHasAvx2() && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 4)) != 0;
#else
  return false;
#endif
}

bool CpuHasAvx512Vnni() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!CpuHasAvx2() || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool features = (ebx & (1u << 16)) && (ebx & (1u << 30)) && (ebx & (1u << 31)) &&  // F, BW, VL
                        (ecx & (1u << 11));                                                // VNNI
  if (!features || !__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return false;  // OSXSAVE
  // The OS must save the opmask and all 512-bit register state (XCR0 bits 1, 2, 5, 6, 7).
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  return (xcr0_lo & 0xE6u) == 0xE6u;
#else
  return false;
#endif
}

bool CpuHasAvx512Bf16() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;  // leaf 7, subleaf 1: EAX bit 5 is AVX512_BF16
    return CpuHasAvx512Vnni() && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && (eax & (1u << 5)) != 0;
  }();
  return has;
#else
  return false;
#endif
}

bool IsComputeSupported(GgmlType t) {
  const TypeKernels& k = Kernels(t);
  return k.dequantize != nullptr && k.vec_dot != nullptr;
}

bool IsQuantizeSupported(GgmlType t) { return Kernels(t).quantize != nullptr; }

GgmlType VecDotType(GgmlType weight) {
  switch (weight) {
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q8_0:
      return GgmlType::Q8_0;
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
      return GgmlType::Q8_K;
    case GgmlType::BF16:  // as llama.cpp: bf16 x bf16 products, the AVX-512 BF16 dot instruction's form
      return GgmlType::BF16;
    default:
      return GgmlType::F32;
  }
}

void QuantizeRow(GgmlType t, const float* src, void* dst, int64_t n) {
  if (const QuantizeFn f = Kernels(t).quantize) f(src, dst, n);
}

void DequantizeRow(GgmlType t, const void* src, float* dst, int64_t n) {
  if (const DequantizeFn f = Kernels(t).dequantize) f(src, dst, n);
}

float VecDot(GgmlType w, int64_t n, const void* w_row, const void* x_row) {
  const VecDotFn f = Kernels(w).vec_dot;
  return f ? f(n, w_row, x_row) : 0.0f;
}

void VecDotRows(GgmlType w, int64_t n, const void* w_rows, size_t w_row_stride, int64_t n_rows,
                const void* x_row, float* out) {
  if (const VecDotRowsFn f = Kernels(w).vec_dot_rows) f(n, w_rows, w_row_stride, n_rows, x_row, out);
}

KernelSet ActiveKernels() { return ActiveSlot().load(std::memory_order_relaxed); }

KernelSet BestKernels() { return AllTables().best; }

void ForceKernels(KernelSet set) {
  if (static_cast<int>(set) > static_cast<int>(AllTables().best)) return;  // sets are ordered by need
  ActiveSlot().store(set, std::memory_order_relaxed);
}

const char* KernelSetName(KernelSet set) {
  switch (set) {
    case KernelSet::kAvx512: return "avx512";
    case KernelSet::kAvxVnni: return "avx2+avxvnni";
    case KernelSet::kAvx2: return "avx2";
    case KernelSet::kScalar: break;
  }
  return "scalar";
}

}  // namespace deepgate::quant
