// Durable mailbox rules: de-duplication, ordering, outbox bookkeeping, replay.
#include "runtime/durable_mailbox.hpp"

#include <algorithm>
#include <charconv>

namespace sagaforge {

std::string envelope_id(const std::string& sender, const std::string& receiver, uint64_t seq) {
  std::string id;
  id.reserve(sender.size() + receiver.size() + 24);
  id += sender;
  id += "->";
  id += receiver;
  id += '#';
  id += std::to_string(seq);
  return id;
}

bool is_envelope_id(std::string_view id, std::string_view sender, std::string_view receiver,
                    uint64_t seq) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, seq).ptr;
  std::string_view num{digits, static_cast<size_t>(end - digits)};
  if (id.size() != sender.size() + 2 + receiver.size() + 1 + num.size())
    return false;
  return id.substr(0, sender.size()) == sender && id.substr(sender.size(), 2) == "->"
         && id.substr(sender.size() + 2, receiver.size()) == receiver
         && id[sender.size() + 2 + receiver.size()] == '#' && id.substr(id.size() - num.size()) == num;
}

inbound_verdict durable_mailbox::classify(const std::string& sender, uint64_t seq,
                                          uint64_t floor) const {
  auto i = in_.find(sender);
  uint64_t wm = i == in_.end() ? 0 : i->second.watermark();
  if (floor > wm + 1 && seq >= floor)
    wm = floor - 1;  // the gap below the floor was dead-lettered at the sender
  if (seq == wm + 1)
    return inbound_verdict::process;
  if (seq > wm + 1)
    return inbound_verdict::hold;
  if (i != in_.end()) {
    auto& f = i->second.failed_seqs();
    if (std::find(f.begin(), f.end(), seq) != f.end())
      return inbound_verdict::duplicate_failed;
  }
  return inbound_verdict::duplicate;
}

void durable_mailbox::consume(const std::string& sender, uint64_t seq, bool failed,
                              int64_t now_ms) {
  auto& ch = in_[sender];
  if (ch.sender().empty())
    ch.set_sender(sender);
  ch.set_watermark(std::max(ch.watermark(), seq));
  ch.set_last_seen_ms(std::max(ch.last_seen_ms(), now_ms));
  if (failed) {
    ch.add_failed_seqs(seq);
    if (static_cast<size_t>(ch.failed_seqs_size()) > max_failed_seqs)
      ch.mutable_failed_seqs()->erase(ch.mutable_failed_seqs()->begin());
  }
}

std::vector<std::string> durable_mailbox::expire_channels(int64_t now_ms, int64_t retention_ms) {
  std::vector<std::string> gone;
  for (auto i = in_.begin(); i != in_.end();) {
    if (i->second.last_seen_ms() + retention_ms < now_ms) {
      gone.push_back(i->first);
      i = in_.erase(i);
    } else {
      ++i;
    }
  }
  return gone;
}

uint64_t durable_mailbox::next_seq(const std::string& receiver) {
  return ++out_seq_[receiver];
}

const std::shared_ptr<Envelope>& durable_mailbox::add(Envelope env, int64_t now_ms,
                                                      bool committed) {
  auto& ch = outbox_[env.receiver()];
  auto seq = env.channel_seq();
  auto& seq_slot = out_seq_[env.receiver()];
  seq_slot = std::max(seq_slot, seq);
  outbox_entry e;
  e.attempts = env.attempt() > 0 ? env.attempt() - 1 : 0;
  e.env = std::make_shared<Envelope>(std::move(env));
  e.committed = committed;
  e.next_attempt_ms = now_ms;
  auto [pos, added] = ch.emplace(seq, std::move(e));
  if (added)
    ++outbox_count_;
  return pos->second.env;
}

std::optional<outbox_entry> durable_mailbox::remove(const std::string& receiver, uint64_t seq) {
  auto i = outbox_.find(receiver);
  if (i == outbox_.end())
    return std::nullopt;
  auto j = i->second.find(seq);
  if (j == i->second.end())
    return std::nullopt;
  std::optional<outbox_entry> out{std::move(j->second)};
  i->second.erase(j);
  --outbox_count_;
  if (i->second.empty())
    outbox_.erase(i);
  return out;
}

outbox_entry* durable_mailbox::find(const std::string& receiver, uint64_t seq) {
  auto i = outbox_.find(receiver);
  if (i == outbox_.end())
    return nullptr;
  auto j = i->second.find(seq);
  return j == i->second.end() ? nullptr : &j->second;
}

std::map<uint64_t, outbox_entry>* durable_mailbox::channel(const std::string& receiver) {
  auto i = outbox_.find(receiver);
  return i == outbox_.end() ? nullptr : &i->second;
}

bool parse_envelope_id(const std::string& id, std::string& receiver, uint64_t& seq) {
  auto arrow = id.find("->");
  auto hash = id.rfind('#');
  if (arrow == std::string::npos || hash == std::string::npos || hash < arrow)
    return false;
  receiver = id.substr(arrow + 2, hash - arrow - 2);
  seq = std::strtoull(id.c_str() + hash + 1, nullptr, 10);
  return true;
}

void durable_mailbox::apply(const StepRecord& rec) {
  apply_except_outbox(rec);
  for (auto& env : rec.outbox())
    add(env, rec.at_ms(), true);
}

void durable_mailbox::take_outbox(StepRecord& rec,
                                  std::vector<std::shared_ptr<const Envelope>>& added) {
  auto* out = rec.mutable_outbox();
  for (auto& env : *out)
    added.push_back(add(std::move(env), rec.at_ms(), false));
  out->Clear();
}

void durable_mailbox::apply_except_outbox(const StepRecord& rec, bool live) {
  if (!live) {
    for (auto& id : rec.acked()) {
      std::string receiver;
      uint64_t seq = 0;
      if (parse_envelope_id(id, receiver, seq))
        remove(receiver, seq);
    }
  }
  if (!rec.inbound_sender().empty())
    consume(rec.inbound_sender(), rec.inbound_seq(), rec.inbound_failed(), rec.at_ms());
  for (auto& name : rec.timers_cancelled())
    timers_.erase(name);
  for (auto& t : rec.timers_set())
    timers_[t.name()] = t;
  for (auto& ch : rec.channels_expired())
    in_.erase(ch);
}

void durable_mailbox::load(const EntitySnapshot& snap) {
  in_.clear();
  out_seq_.clear();
  outbox_.clear();
  outbox_count_ = 0;
  timers_.clear();
  for (auto& ch : snap.in_channels())
    in_[ch.sender()] = ch;
  for (auto& ch : snap.out_channels())
    out_seq_[ch.receiver()] = ch.last_seq();
  for (auto& env : snap.outbox())
    add(env, snap.at_ms(), true);
  for (auto& t : snap.timers())
    timers_[t.name()] = t;
}

void durable_mailbox::save(EntitySnapshot& snap) const {
  for (auto& [sender, ch] : in_)
    *snap.add_in_channels() = ch;
  for (auto& [receiver, seq] : out_seq_) {
    auto* ch = snap.add_out_channels();
    ch->set_receiver(receiver);
    ch->set_last_seq(seq);
  }
  for (auto& [receiver, entries] : outbox_)
    for (auto& [seq, e] : entries)
      *snap.add_outbox() = *e.env;
  for (auto& [name, t] : timers_)
    *snap.add_timers() = t;
}

} // namespace sagaforge
