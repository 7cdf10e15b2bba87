// Arithmetic in GF(2^8) modulo the AES polynomial x^8+x^4+x^3+x+1 (0x11b),
// in constant time: no branches or memory indexing that depend on values.
#ifndef COFFER_LIB_SEAL_GF256_H_
#define COFFER_LIB_SEAL_GF256_H_

#include <cstdint>

namespace coffer::seal::gf256 {

inline uint8_t Add(uint8_t a, uint8_t b) { return a ^ b; }

// Shift-and-add multiplication: eight rounds whatever the operands.
inline uint8_t Mul(uint8_t a, uint8_t b) {
  uint8_t r = 0;
  for (int i = 0; i < 8; ++i) {
    r ^= static_cast<uint8_t>(-(b & 1)) & a;
    b >>= 1;
    const uint8_t carry = static_cast<uint8_t>(-(a >> 7));
    a = static_cast<uint8_t>((a << 1) ^ (carry & 0x1b));
  }
  return r;
}

// a^-1 = a^254 (Fermat), by a fixed square-and-multiply chain; Inverse(0) = 0.
inline uint8_t Inverse(uint8_t a) {
  uint8_t result = 1;
  uint8_t power = a;             // a^(2^i)
  for (int i = 1; i < 8; ++i) {  // 254 = 0b11111110: bits 1..7
    power = Mul(power, power);
    result = Mul(result, power);
  }
  return result;
}

inline uint8_t Div(uint8_t a, uint8_t b) { return Mul(a, Inverse(b)); }

}  // namespace coffer::seal::gf256

#endif  // COFFER_LIB_SEAL_GF256_H_
