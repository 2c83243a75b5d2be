// The mutation engine (see mutator.hpp).
#include "tests/fuzz/mutator.hpp"

#include <algorithm>

namespace sagaforge::fuzz {

namespace {

void put_int(std::string& s, size_t at, uint64_t v, size_t width, bool big_endian) {
  for (size_t i = 0; i < width && at + i < s.size(); ++i) {
    auto shift = 8 * (big_endian ? width - 1 - i : i);
    s[at + i] = static_cast<char>((v >> shift) & 0xff);
  }
}

void mutate_once(prng& rng, std::string& s, const std::vector<std::string>& corpus,
                 const std::vector<std::string>& dictionary) {
  auto pos = [&](size_t extra = 0) { return rng.below(s.size() + extra); };
  switch (rng.below(11)) {
    case 0:  // flip one bit
      if (!s.empty())
        s[pos()] ^= static_cast<char>(1u << rng.below(8));
      break;
    case 1:  // replace a byte
      if (!s.empty())
        s[pos()] = static_cast<char>(rng.next() & 0xff);
      break;
    case 2: {  // insert 1-8 random bytes
      auto at = pos(1);
      std::string ins(1 + rng.below(8), '\0');
      for (auto& c : ins)
        c = static_cast<char>(rng.next() & 0xff);
      s.insert(at, ins);
      break;
    }
    case 3:  // delete a range
      if (!s.empty()) {
        auto at = pos();
        s.erase(at, 1 + rng.below(std::min<size_t>(16, s.size() - at)));
      }
      break;
    case 4:  // truncate
      s.resize(rng.below(s.size() + 1));
      break;
    case 5: {  // duplicate a chunk elsewhere
      if (s.empty())
        break;
      auto from = pos();
      auto len = 1 + rng.below(std::min<size_t>(32, s.size() - from));
      auto chunk = s.substr(from, len);
      s.insert(pos(1), chunk);
      break;
    }
    case 6: {  // splice: a prefix of this one and a suffix of another entry
      auto& other = corpus[rng.below(corpus.size())];
      auto cut = pos(1);
      auto from = rng.below(other.size() + 1);
      s = s.substr(0, cut) + other.substr(from);
      break;
    }
    case 7:
    case 8: {  // an interesting integer over 1, 2, 4 or 8 bytes, either byte order
      if (s.empty())
        break;
      static const uint64_t fixed[] = {0,      1,          0x7f,       0x80,
                                       0xff,   0x100,      0x7fff,     0x8000,
                                       0xffff, 0x10000,    0x7fffffff, 0x80000000,
                                       0xffffffff, 0x7fffffffffffffffull, ~0ull};
      constexpr size_t n_fixed = sizeof fixed / sizeof fixed[0];
      uint64_t v = 0;
      auto pick = rng.below(n_fixed + 3);
      if (pick < n_fixed)
        v = fixed[pick];
      else  // lengths near the input's own size: off-by-one territory
        v = s.size() + pick - n_fixed - 1;
      size_t widths[] = {1, 2, 4, 8};
      put_int(s, pos(), v, widths[rng.below(4)], !rng.one_in(4));
      break;
    }
    case 9:  // a dictionary token, inserted or overwriting
      if (!dictionary.empty()) {
        auto& tok = dictionary[rng.below(dictionary.size())];
        auto at = pos(1);
        if (rng.one_in(2))
          s.insert(at, tok);
        else
          s.replace(at, std::min(tok.size(), s.size() - at), tok);
      }
      break;
    case 10: {  // increment or decrement a byte (counts, lengths)
      if (!s.empty()) {
        auto at = pos();
        s[at] = static_cast<char>(s[at] + (rng.one_in(2) ? 1 : -1));
      }
      break;
    }
  }
}

} // namespace

std::string mutate(prng& rng, const std::vector<std::string>& corpus,
                   const std::vector<std::string>& dictionary, size_t max_len) {
  std::string s = corpus[rng.below(corpus.size())];
  if (rng.one_in(64))
    return s;  // a seed as it is, now and then
  auto n = 1 + rng.below(rng.one_in(4) ? 16 : 4);
  for (size_t i = 0; i < n; ++i)
    mutate_once(rng, s, corpus, dictionary);
  if (s.size() > max_len)
    s.resize(max_len);
  return s;
}

} // namespace sagaforge::fuzz
