// Mailbox details of an entity report (see entity_report.hpp).
#include "runtime/entity_report.hpp"

namespace sagaforge {

void add_mailbox_details(const durable_mailbox& mb, EntityReport& r) {
  r.set_outbox_size(mb.outbox_size());
  r.set_timers(mb.timers().size());
  r.set_channels(mb.channel_count());
  for (auto& [receiver, entries] : mb.outbox()) {
    for (auto& [seq, e] : entries) {
      if (static_cast<size_t>(r.outbox_items_size()) >= report_list_max)
        break;
      auto* item = r.add_outbox_items();
      *item->mutable_envelope() = *e.env;
      item->set_attempts(e.attempts);
      item->set_next_attempt_ms(e.in_flight ? e.next_attempt_ms : 0);
      item->set_in_flight(e.in_flight);
    }
  }
  for (auto& [name, t] : mb.timers()) {
    if (static_cast<size_t>(r.timer_entries_size()) >= report_list_max)
      break;
    auto* te = r.add_timer_entries();
    te->set_name(t.name());
    te->set_due_ms(t.due_ms());
    te->set_type(t.type());  // the payload stays out: the type says what will fire
  }
  // The watermarks live inside the mailbox; its snapshot form is the one public view.
  EntitySnapshot snap;
  mb.save(snap);
  for (auto& ch : *snap.mutable_in_channels()) {
    if (static_cast<size_t>(r.in_channels_size()) >= report_list_max)
      break;
    *r.add_in_channels() = std::move(ch);
  }
}

}  // namespace sagaforge
