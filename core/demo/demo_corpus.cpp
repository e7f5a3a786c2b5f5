// DemoCorpus: see demo_corpus.h. Original text; keep it plain, varied and a few KB long.
#include "core/demo/demo_corpus.h"

namespace deepgate::demo {
namespace {

constexpr std::string_view kCorpus = R"CORPUS(The gateway runs a language model on the machines of the people who use it.
A request comes in over the network, the server checks who is asking, and then the model
writes an answer one token at a time. Every token is a small piece of text: a word, part of
a word, a space, or a single byte. The model reads the tokens it has seen so far and guesses
the next one. When the answer is finished, the server writes a line to the journal and
waits for the next request.

Why run a model at home? Because the data never leaves the building, because the cost is
known in advance, and because the service keeps working when the internet does not. The
price is that the machine must be fast enough. On a processor without a graphics card, the
speed of the memory decides how many tokens per second the model can write: for every new
token, all of the weights are read once from memory. A smaller model, or weights stored with
fewer bits, means fewer bytes to read and a faster answer.

There are many ways to store the weights. The simplest keeps each number as a 32-bit float.
Half precision uses 16 bits. Quantized formats group the numbers into blocks of 32 or 256
and keep one scale for each block, with only four, five, six or eight bits for each number.
The quality drops a little, but the model becomes two to eight times smaller, and the time
for each token drops with it.

Here is what the people who tried it told us. "It was easy to install, and the first answer
came back in less than a second." "We put it behind our own login page and gave every team
its own key." "The logs show who asked what and when, but never the text of the question."
Others wanted more: longer context, more users at the same time, and a way to move the
service to a second machine when the first one is busy.

The weather this morning was cold and clear. We walked along the river to the old bridge,
where the water is deep and slow, and watched the birds over the trees. In the afternoon we
read, cooked a simple dinner of bread, soup and cheese, and talked about the week ahead.
Tomorrow there will be rain, so the garden can wait until Thursday or Friday.

Numbers: 0 1 2 3 4 5 6 7 8 9 10 16 32 64 100 128 256 512 1000 1024 2048 4096 65536.
Dates and times: 2024-03-15, 12:30, 09:45:10. Prices: $3.50, 12.99 EUR, 100%.
Café, naïve, résumé, über, Straße, façade: words with accents are text too.
Здравствуйте, 你好, こんにちは: other scripts appear as well.

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE\n", argv[0]);
    return 2;
  }
  std::vector<float> values;
  for (int i = 1; i < argc; ++i) {
    values.push_back(std::strtof(argv[i], nullptr));
  }
  float sum = 0.0f;
  for (float v : values) sum += v;
  std::printf("sum = %f\n", sum);
  return 0;
}

def count_words(path):
    counts = {}
    with open(path, "r", encoding="utf-8") as f:
        for line in f:
            for word in line.split():
                counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])

for name, value in count_words("input.txt")[:10]:
    print(f"{name}: {value}")

function add(a, b) {
  return a + b;
}
const result = [1, 2, 3].map((x) => x * 2).filter((x) => x > 2);
console.log(JSON.stringify({ result: result, ok: true }));

SELECT name, count(*) AS total FROM requests WHERE status = 200 GROUP BY name ORDER BY total DESC;

struct Point {
  double x = 0.0;
  double y = 0.0;
};
static double Distance(const Point& a, const Point& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  return std::sqrt(dx * dx + dy * dy);
}

A good answer is short, correct and kind. If you do not know, say so. If the question is
unclear, ask what the person means. Show the steps when the problem is hard, and check the
result before you give it. Thank you for reading this far; the rest of the text is only here
so that the tokenizer has seen enough words to learn how they are usually split.

The quick brown fox jumps over the lazy dog. The five boxing wizards jump quickly. How
vexingly quick daft zebras jump! Pack my box with five dozen liquor jugs. Sphinx of black
quartz, judge my vow.
)CORPUS";

}  // namespace

std::string_view DemoCorpus() { return kCorpus; }

}  // namespace deepgate::demo
