// CRYPTO stream reassembly: a sorted list of disjoint received ranges over a caller-owned buffer.
#include "lib/quic/quic_crypto_stream.hpp"

#include <algorithm>
#include <cstring>

namespace spanwatch::lib {

void QuicCryptoStream::bind(uint8_t* buf, uint32_t capacity) noexcept {
  buf_ = buf;
  cap_ = buf ? capacity : 0;
  reset();
}

void QuicCryptoStream::reset() noexcept {
  nranges_ = 0;
  peak_ranges_ = 0;
  frames_dropped_ = 0;
  bytes_dropped_ = 0;
}

void QuicCryptoStream::add(uint64_t offset, const uint8_t* data, size_t len) noexcept {
  if (len == 0) return;
  // Clip to the buffer. The frame parser bounds offset + len by 2^62, so neither sum overflows.
  if (offset >= cap_) {
    bytes_dropped_ += len;
    return;
  }
  const uint64_t end64 = offset + len;
  if (end64 > cap_) bytes_dropped_ += end64 - cap_;
  const auto begin = static_cast<uint32_t>(offset);
  const auto end = static_cast<uint32_t>(std::min<uint64_t>(end64, cap_));

  // Ranges [first, last) touch or overlap [begin, end) and merge with it into one.
  size_t first = 0;
  while (first < nranges_ && ranges_[first].end < begin) ++first;
  size_t last = first;
  while (last < nranges_ && ranges_[last].begin <= end) ++last;
  const size_t merged = last - first;
  if (merged == 0 && nranges_ == kQuicCryptoMaxRanges) {
    ++frames_dropped_;
    bytes_dropped_ += end - begin;
    return;
  }

  // Copy only the gaps between existing ranges: bytes already held stay as first received.
  uint32_t pos = begin;
  for (size_t i = first; i < last && pos < end; ++i) {
    if (ranges_[i].begin > pos) std::memcpy(buf_ + pos, data + (pos - begin), ranges_[i].begin - pos);
    pos = std::max(pos, ranges_[i].end);
  }
  if (pos < end) std::memcpy(buf_ + pos, data + (pos - begin), end - pos);

  const Range joined{merged ? std::min(begin, ranges_[first].begin) : begin,
                     merged ? std::max(end, ranges_[last - 1].end) : end};
  if (merged == 0) {  // open a slot at `first`
    std::copy_backward(ranges_.begin() + first, ranges_.begin() + nranges_, ranges_.begin() + nranges_ + 1);
    ++nranges_;
  } else if (merged > 1) {  // close the slots of the ranges absorbed after `first`
    std::copy(ranges_.begin() + last, ranges_.begin() + nranges_, ranges_.begin() + first + 1);
    nranges_ = static_cast<uint8_t>(nranges_ - (merged - 1));
  }
  ranges_[first] = joined;
  peak_ranges_ = std::max(peak_ranges_, nranges_);
}

bool QuicCryptoStream::first_message_complete() const noexcept {
  const uint32_t n = contiguous();
  if (n < 4) return false;
  const uint32_t body = static_cast<uint32_t>(buf_[1]) << 16 | static_cast<uint32_t>(buf_[2]) << 8 | buf_[3];
  return n - 4 >= body;
}

}  // namespace spanwatch::lib
