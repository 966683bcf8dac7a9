// SPDX-License-Identifier: Apache-2.0
#include "base/secret_digits.h"

#include <gtest/gtest.h>

#include <concepts>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace bankcc::base {
namespace {

// The compile-time half of the test: none of these may compile.
template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};

static_assert(!std::is_copy_constructible_v<SecretDigits>);
static_assert(!std::is_copy_assignable_v<SecretDigits>);
static_assert(std::is_nothrow_move_constructible_v<SecretDigits>);
static_assert(!Streamable<SecretDigits>);
static_assert(!fmt::is_formattable<SecretDigits>::value);
static_assert(!std::is_convertible_v<SecretDigits, std::string>);
static_assert(!std::is_convertible_v<SecretDigits, std::string_view>);

std::string reveal(const SecretDigits& s) {
  return s.visit([](std::string_view v) { return std::string(v); });
}

TEST(SecretDigitsTest, KeepsDtmfCharactersOnly) {
  SecretDigits s;
  EXPECT_TRUE(s.push('1'));
  EXPECT_TRUE(s.push('#'));
  EXPECT_TRUE(s.push('D'));
  EXPECT_FALSE(s.push('x'));
  EXPECT_FALSE(s.push('\0'));
  EXPECT_EQ(reveal(s), "1#D");
}

TEST(SecretDigitsTest, RefusesBeyondCapacity) {
  SecretDigits s;
  for (std::size_t i = 0; i < SecretDigits::kCapacity; ++i) ASSERT_TRUE(s.push('9'));
  EXPECT_FALSE(s.push('9'));
  EXPECT_EQ(s.size(), SecretDigits::kCapacity);
}

TEST(SecretDigitsTest, MoveLeavesSourceWiped) {
  SecretDigits a;
  a.push('4');
  a.push('2');
  SecretDigits b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(reveal(b), "42");
  SecretDigits c;
  c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(reveal(c), "42");
}

TEST(SecretDigitsTest, DestructorWipesTheBuffer) {
  // Construct in raw storage, destroy, and look at the bytes the object occupied.
  alignas(SecretDigits) unsigned char storage[sizeof(SecretDigits)];
  auto* s = new (storage) SecretDigits();
  s->push('7');
  s->push('3');
  s->~SecretDigits();
  for (unsigned char byte : storage) {
    EXPECT_NE(byte, '7');
    EXPECT_NE(byte, '3');
  }
}

}  // namespace
}  // namespace bankcc::base
