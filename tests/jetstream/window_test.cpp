// jetstream::inflight_window without a server or a thread: the forwarder's bookkeeping of what
// JetStream acknowledged, driven event by event. Records are 20-byte frames + payload; here
// every record is 40 bytes, so record i sits at offset 40 i and its frame ends at 40 (i + 1).
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include <introspect/jetstream/inflight_window.hpp>

using introspect::jetstream::inflight_window;

namespace {

constexpr std::uint64_t frame = 40;
constexpr std::uint64_t at(std::uint64_t i) { return i * frame; }

// Publishes records [from, to) at times 1000 + i.
void publish(inflight_window& w, std::uint64_t from, std::uint64_t to) {
  for (auto i = from; i < to; ++i)
    CHECK_FALSE(w.publish(at(i), at(i + 1), 1000 + static_cast<std::int64_t>(i)));
}

}  // namespace

TEST_CASE("in-order acks advance the acked offset and the sequence", "[jetstream_window]") {
  inflight_window w;
  publish(w, 0, 5);
  CHECK(w.pending() == 5);
  CHECK(w.store_end() == at(5));
  CHECK(w.lag_bytes() == at(5));
  for (std::uint64_t i = 0; i < 5; ++i) CHECK(w.ack(at(i), 100 + i));
  CHECK(w.pending() == 0);
  CHECK(w.acked_offset() == 0);  // nothing is committed before commit()
  CHECK(w.commit() == 5);
  CHECK(w.acked_offset() == at(5));
  CHECK(w.acked_seq() == 104);
  CHECK(w.lag_bytes() == 0);
  CHECK(w.drained());
  CHECK(w.size() == 0);
}

TEST_CASE("out-of-order acks commit only the contiguous prefix", "[jetstream_window]") {
  inflight_window w;
  publish(w, 0, 6);
  CHECK(w.ack(at(3), 13));
  CHECK(w.ack(at(5), 15));
  CHECK(w.ack(at(1), 11));
  CHECK(w.commit() == 0);  // record 0 is still pending: nothing after it counts yet
  CHECK(w.acked_offset() == 0);
  CHECK(w.ack(at(0), 10));
  CHECK(w.commit() == 2);  // 0 and 1; 2 is pending
  CHECK(w.acked_offset() == at(2));
  CHECK(w.acked_seq() == 11);
  CHECK(w.pending() == 2);  // 2 and 4
  CHECK(w.ack(at(4), 14));
  CHECK(w.ack(at(2), 12));
  CHECK(w.commit() == 4);
  CHECK(w.acked_offset() == at(6));
  CHECK(w.acked_seq() == 15);
  CHECK(w.drained());
}

TEST_CASE("duplicate, late and unknown acks change nothing", "[jetstream_window]") {
  inflight_window w;
  publish(w, 0, 3);
  CHECK(w.ack(at(1), 21));
  CHECK_FALSE(w.ack(at(1), 99));     // the same ack twice: the first sequence stays
  CHECK_FALSE(w.nack(at(1)));        // a negative ack after a positive one
  CHECK_FALSE(w.ack(at(7), 27));     // never published
  CHECK_FALSE(w.ack(at(1) + 1, 1));  // not a record boundary
  CHECK(w.pending() == 2);
  CHECK(w.acked_entries().at(at(1)) == 21);
  CHECK(w.ack(at(0), 20));
  CHECK(w.commit() == 2);
  CHECK(w.acked_seq() == 21);
  CHECK_FALSE(w.ack(at(0), 20));  // committed already: a late ack finds nothing
  CHECK(w.pending() == 1);
}

TEST_CASE("a negative ack stops the prefix until a resync repositions the stream",
          "[jetstream_window]") {
  inflight_window w;
  publish(w, 0, 4);
  CHECK(w.ack(at(0), 1));
  CHECK(w.nack(at(1)));
  CHECK(w.ack(at(2), 3));
  CHECK(w.ack(at(3), 4));
  CHECK(w.pending() == 0);
  CHECK(w.commit() == 1);
  CHECK(w.acked_offset() == at(1));
  CHECK_FALSE(w.drained());  // the failed record is a gap
  // The resync reads what JetStream holds from the acked offset: the window's own knowledge
  // (2 and 3 acknowledged) is part of it.
  const auto held = w.acked_entries();
  CHECK(held.size() == 2);
  CHECK(held.at(at(2)) == 3);
  CHECK(held.at(at(3)) == 4);
  CHECK(w.reposition(w.acked_offset()) == 0);
  CHECK(w.size() == 0);
  // The store cursor restarts at record 1: it is resent, 2 and 3 are found present.
  CHECK(w.publish(at(1), at(2), 2000));  // a resend: published before
  w.already_present(at(2), at(3), 3);
  w.already_present(at(3), at(4), 4);
  CHECK(w.ack(at(1), 5));
  CHECK(w.commit() == 3);
  CHECK(w.acked_offset() == at(4));
  CHECK(w.acked_seq() == 4);
  CHECK(w.drained());
}

TEST_CASE("taking back the pending publishes (disconnect, stop) fails them", "[jetstream_window]") {
  inflight_window w;
  publish(w, 0, 5);
  CHECK(w.ack(at(0), 1));
  CHECK(w.ack(at(2), 3));
  CHECK(w.fail_pending() == 3);  // 1, 3, 4
  CHECK(w.pending() == 0);
  CHECK_FALSE(w.ack(at(1), 2));  // an ack after the take-back does not revive the entry
  CHECK(w.commit() == 1);
  CHECK(w.acked_offset() == at(1));
  CHECK_FALSE(w.oldest_pending_ns());
  // reposition() reports pending entries it drops (the forwarder's in-flight count).
  publish(w, 5, 7);
  CHECK(w.reposition(at(1)) == 2);
  CHECK(w.pending() == 0);
}

TEST_CASE("publish failures, resends and the ack timeout's oldest entry", "[jetstream_window]") {
  inflight_window w;
  publish(w, 0, 3);
  CHECK(*w.oldest_pending_ns() == 1000);
  CHECK(w.ack(at(0), 1));
  CHECK(*w.oldest_pending_ns() == 1001);
  // The library refused the newest publish: only that entry fails, and only once.
  CHECK(w.publish_failed(at(2)));
  CHECK_FALSE(w.publish_failed(at(2)));
  CHECK_FALSE(w.publish_failed(at(1)));  // not the newest
  CHECK(w.pending() == 1);
  w.reposition(at(1));
  CHECK(w.publish(at(1), at(2), 5000));  // resends are told apart...
  CHECK(w.publish(at(2), at(3), 5001));
  CHECK_FALSE(w.publish(at(3), at(4), 5002));  // ...from records never published before
  CHECK(*w.oldest_pending_ns() == 5000);
}

TEST_CASE("the store end never goes backwards, so the reported lag cannot shrink falsely",
          "[jetstream_window]") {
  inflight_window w;
  w.restore(at(10), 110);  // a persisted cursor: 10 records known to be in JetStream
  CHECK(w.acked_offset() == at(10));
  CHECK(w.acked_seq() == 110);
  publish(w, 10, 20);
  CHECK(w.store_end() == at(20));
  // A resync rewinds to the acked offset and re-reads what JetStream already holds: the store
  // end stays where the store was seen to reach (issue 19: the lag test saw it go backwards).
  w.reposition(at(10));
  w.already_present(at(10), at(11), 111);
  CHECK(w.store_end() == at(20));
  CHECK(w.lag_bytes() == at(20) - at(10));
  CHECK(w.commit() == 1);
  CHECK(w.lag_bytes() == at(20) - at(11));
  // A server that lost the stream: the forwarder starts over from offset 0; the sequence hint
  // stays until a committed record brings a new one.
  w.reposition(0);
  CHECK(w.acked_offset() == 0);
  CHECK(w.acked_seq() == 111);
  CHECK(w.lag_bytes() == at(20));
}

TEST_CASE("stop-drain: drained only when every record seen is committed", "[jetstream_window]") {
  // stop() publishes what the store holds (the engine's last snapshot) and waits for the acks;
  // the forwarder's drain ends when nothing is pending and the cursor is at the store's end.
  inflight_window w;
  CHECK(w.drained());  // nothing seen yet
  publish(w, 0, 3);
  CHECK_FALSE(w.drained());
  CHECK(w.ack(at(2), 3));
  CHECK(w.ack(at(0), 1));
  w.commit();
  CHECK_FALSE(w.drained());  // 1 outstanding
  CHECK(w.ack(at(1), 2));
  CHECK_FALSE(w.drained());  // acknowledged, not yet committed
  w.commit();
  CHECK(w.drained());
  // The last record, written just before stop(): one more round.
  CHECK_FALSE(w.publish(at(3), at(4), 4000));
  CHECK_FALSE(w.drained());
  // The drain ran out of time: what is pending is taken back, and the persisted cursor (the
  // acked offset) makes the next run resend exactly that record.
  CHECK(w.fail_pending() == 1);
  w.commit();
  CHECK(w.acked_offset() == at(3));
  CHECK_FALSE(w.drained());
}
