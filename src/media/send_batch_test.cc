// SPDX-License-Identifier: Apache-2.0
#include "media/send_batch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace bankcc::media {
namespace {

/// A UDP socket on 127.0.0.1 with an ephemeral port.
struct UdpSocket {
  UdpSocket() {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    address.length = sizeof(sockaddr_in);
    std::memcpy(&address.storage, &a, sizeof a);
  }
  ~UdpSocket() { ::close(fd); }
  /// Every datagram queued on the socket now.
  std::vector<std::vector<std::uint8_t>> drain() const {
    std::vector<std::vector<std::uint8_t>> out;
    std::array<std::uint8_t, 2048> buf;
    for (;;) {
      ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0) break;
      out.emplace_back(buf.begin(), buf.begin() + n);
    }
    return out;
  }
  int fd = -1;
  SocketAddress address;
};

void pushBytes(SendBatch& batch, const UdpSocket& from, const UdpSocket& to, std::uint8_t tag,
               std::size_t length) {
  ASSERT_TRUE(batch.accepts(from.fd, to.address));
  auto slot = batch.slot();
  std::fill_n(slot.begin(), length, tag);
  batch.push(from.fd, to.address, length);
}

TEST(SendBatchTest, SendsEverythingQueuedInOrderWithOneFlush) {
  UdpSocket from, to;
  SendBatch batch;
  EXPECT_EQ(batch.flush(), 0u);  // nothing queued: nothing sent
  for (std::uint8_t i = 0; i < 5; ++i) pushBytes(batch, from, to, i, 100 + i);
  EXPECT_EQ(batch.size(), 5u);
  EXPECT_EQ(batch.flush(), 5u);
  EXPECT_TRUE(batch.empty());
  auto got = to.drain();
  ASSERT_EQ(got.size(), 5u);
  for (std::uint8_t i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i], std::vector<std::uint8_t>(100 + i, i)) << int(i);
  }
}

TEST(SendBatchTest, ASingleDatagramGoesOutToo) {
  UdpSocket from, to;
  SendBatch batch;
  pushBytes(batch, from, to, 9, 172);
  EXPECT_EQ(batch.flush(), 1u);
  auto got = to.drain();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size(), 172u);
}

TEST(SendBatchTest, AcceptsOnlyTheSameSocketAndDestinationWhileThereIsRoom) {
  UdpSocket from, other, to, elsewhere;
  SendBatch batch;
  EXPECT_TRUE(batch.accepts(other.fd, elsewhere.address));  // empty: anything
  pushBytes(batch, from, to, 1, 10);
  EXPECT_TRUE(batch.accepts(from.fd, to.address));
  EXPECT_FALSE(batch.accepts(other.fd, to.address));
  EXPECT_FALSE(batch.accepts(from.fd, elsewhere.address));
  while (batch.size() < SendBatch::kCapacity) pushBytes(batch, from, to, 2, 10);
  EXPECT_FALSE(batch.accepts(from.fd, to.address));  // full
  EXPECT_EQ(batch.flush(), SendBatch::kCapacity);
  EXPECT_TRUE(batch.accepts(other.fd, elsewhere.address));
  EXPECT_EQ(to.drain().size(), SendBatch::kCapacity);
}

}  // namespace
}  // namespace bankcc::media
