// The training text for the demo vocabulary's BPE merges: a few KB of plain English prose
// and small code snippets written for this project, so the learned merges cover common
// English words, whitespace runs and code punctuation the way a real vocabulary would.
// Thread-safety: an immutable string.
#pragma once

#include <string_view>

namespace deepgate::demo {

// UTF-8 text; changing it changes every demo vocabulary (and so every demo model's bytes).
std::string_view DemoCorpus();

}  // namespace deepgate::demo
