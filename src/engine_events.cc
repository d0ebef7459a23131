// Consuming the outbox: durable consumers (a named cursor per tenant, kept as the tenant setting
// "consumer/<name>") and in-process observers (detail::EventDispatcher).
#include <rapidjson/document.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "engine_impl.h"

namespace omni {
namespace {

constexpr std::string_view kConsumerPrefix = "consumer/";
constexpr std::size_t kMaxConsumerName = 64;

Status check_consumer_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxConsumerName) {
    return Status::invalid_argument("consumer name must be 1.." + std::to_string(kMaxConsumerName) +
                                    " characters")
        .with_field("consumer");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::invalid_argument("consumer name may hold only a-z, 0-9, '.', '_' and '-'")
          .with_field("consumer");
    }
  }
  return Status();
}

std::string consumer_key(const std::string& name) {
  return std::string(kConsumerPrefix) + name;
}

std::string encode_position(const ConsumerPosition& p) {
  engine_internal::Payload payload;
  payload.add("acknowledged", p.acknowledged);
  payload.add("updated_at", to_unix_micros(p.updated_at));
  return payload.str();
}

Result<ConsumerPosition> decode_position(std::string name, const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("acknowledged") ||
      !doc["acknowledged"].IsInt64() || !doc.HasMember("updated_at") ||
      !doc["updated_at"].IsInt64()) {
    return Status::corruption("the cursor of consumer " + name + " is not readable");
  }
  ConsumerPosition p;
  p.name = std::move(name);
  p.acknowledged = doc["acknowledged"].GetInt64();
  p.updated_at = from_unix_micros(doc["updated_at"].GetInt64());
  return p;
}

// The stored cursor; kNotFound when the consumer was never recorded.
Result<ConsumerPosition> read_position(StoreTransaction& tx, TenantId tenant,
                                       const std::string& name) {
  OMNI_ASSIGN_OR_RETURN(std::string text, tx.get_setting(tenant, consumer_key(name)));
  return decode_position(name, text);
}

}  // namespace

Result<std::int64_t> Engine::Impl::newest_sequence(StoreTransaction& tx, TenantId tenant) {
  // exists(x): is there an event with a sequence > x? True below the newest sequence, false from
  // it on; gallop to a false bound, then bisect.
  auto exists = [&](std::int64_t x) -> Result<bool> {
    OMNI_ASSIGN_OR_RETURN(auto events, tx.list_events(tenant, x, 1));
    return !events.empty();
  };
  std::int64_t low = 0;  // exists(low) is true (or low is 0)
  OMNI_ASSIGN_OR_RETURN(bool any, exists(0));
  if (!any) return std::int64_t{0};
  std::int64_t high = 1;
  for (;;) {
    OMNI_ASSIGN_OR_RETURN(bool more, exists(high));
    if (!more) break;
    low = high;
    if (high > (INT64_MAX >> 1)) {
      high = INT64_MAX;
      break;
    }
    high *= 2;
  }
  // exists(low) || low == 0, !exists(high): the newest sequence is in (low, high].
  while (high - low > 1) {
    std::int64_t mid = low + (high - low) / 2;
    OMNI_ASSIGN_OR_RETURN(bool more, exists(mid));
    if (more) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return high;
}

Result<ConsumerPosition> Engine::add_consumer(TenantId tenant, const std::string& consumer,
                                              ConsumerStart start) {
  OMNI_RETURN_IF_ERROR(check_consumer_name(consumer));
  Timestamp now = impl_->now();
  return impl_->run_write([&](StoreTransaction& tx) -> Result<ConsumerPosition> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    auto existing = tx.get_setting(tenant, consumer_key(consumer));
    if (existing.ok()) {
      return Status::already_exists("consumer " + consumer + " exists").with_field("consumer");
    }
    if (!existing.status().is(StatusCode::kNotFound)) return existing.status();
    ConsumerPosition p;
    p.name = consumer;
    p.updated_at = now;
    if (start == ConsumerStart::kNow) {
      OMNI_ASSIGN_OR_RETURN(p.acknowledged, Impl::newest_sequence(tx, tenant));
    }
    OMNI_RETURN_IF_ERROR(tx.put_setting(tenant, consumer_key(consumer), encode_position(p)));
    return p;
  });
}

Result<std::vector<Event>> Engine::poll_events(TenantId tenant, const std::string& consumer,
                                               std::size_t limit) {
  OMNI_RETURN_IF_ERROR(check_consumer_name(consumer));
  if (limit == 0 || limit > impl_->options.max_page_size) {
    return Status::invalid_argument("limit must be 1.." +
                                    std::to_string(impl_->options.max_page_size))
        .with_field("limit");
  }
  return impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<Event>> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    std::int64_t after = 0;
    auto position = read_position(tx, tenant, consumer);
    if (position.ok()) {
      after = position->acknowledged;
    } else if (!position.status().is(StatusCode::kNotFound)) {
      return position.status();
    }
    return tx.list_events(tenant, after, limit);
  });
}

Status Engine::ack_events(TenantId tenant, const std::string& consumer,
                          std::int64_t through_sequence) {
  OMNI_RETURN_IF_ERROR(check_consumer_name(consumer));
  if (through_sequence < 0) {
    return Status::invalid_argument("through_sequence is negative").with_field("through_sequence");
  }
  Timestamp now = impl_->now();
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    ConsumerPosition p;
    p.name = consumer;
    auto stored = read_position(tx, tenant, consumer);
    if (stored.ok()) {
      p = std::move(stored).value();
      if (through_sequence <= p.acknowledged) return Status();  // already there: a no-op
    } else if (!stored.status().is(StatusCode::kNotFound)) {
      return stored.status();
    }
    if (through_sequence > 0) {
      // The event at through_sequence, or a later one, must exist: an ack never runs ahead of
      // the outbox (it would skip events not yet written).
      OMNI_ASSIGN_OR_RETURN(auto next, tx.list_events(tenant, through_sequence - 1, 1));
      if (next.empty()) {
        return Status::invalid_argument("sequence " + std::to_string(through_sequence) +
                                        " is beyond the tenant's newest event")
            .with_field("through_sequence");
      }
    }
    p.acknowledged = through_sequence;
    p.updated_at = now;
    return tx.put_setting(tenant, consumer_key(consumer), encode_position(p));
  });
}

Result<ConsumerPosition> Engine::consumer_position(TenantId tenant, const std::string& consumer) {
  OMNI_RETURN_IF_ERROR(check_consumer_name(consumer));
  return impl_->run_read([&](StoreTransaction& tx) -> Result<ConsumerPosition> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    auto p = read_position(tx, tenant, consumer);
    if (p.status().is(StatusCode::kNotFound)) {
      return Status::not_found("no consumer " + consumer).with_field("consumer");
    }
    return p;
  });
}

Result<std::vector<ConsumerPosition>> Engine::list_consumers(TenantId tenant) {
  return impl_->run_read([&](StoreTransaction& tx) -> Result<std::vector<ConsumerPosition>> {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    OMNI_ASSIGN_OR_RETURN(auto settings, tx.list_settings(tenant, kConsumerPrefix));
    std::vector<ConsumerPosition> out;
    out.reserve(settings.size());
    for (auto& [key, value] : settings) {
      OMNI_ASSIGN_OR_RETURN(ConsumerPosition p,
                            decode_position(key.substr(kConsumerPrefix.size()), value));
      out.push_back(std::move(p));
    }
    return out;
  });
}

Status Engine::remove_consumer(TenantId tenant, const std::string& consumer) {
  OMNI_RETURN_IF_ERROR(check_consumer_name(consumer));
  return impl_->run_write([&](StoreTransaction& tx) -> Status {
    OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
    Status s = tx.delete_setting(tenant, consumer_key(consumer));
    if (s.is(StatusCode::kNotFound)) {
      return Status::not_found("no consumer " + consumer).with_field("consumer");
    }
    return s;
  });
}

Status Engine::add_observer(TenantId tenant, EventObserver* observer) {
  if (observer == nullptr) return Status::invalid_argument("observer is null");
  OMNI_ASSIGN_OR_RETURN(std::int64_t newest,
                        impl_->run_read([&](StoreTransaction& tx) -> Result<std::int64_t> {
                          OMNI_RETURN_IF_ERROR(tx.get_tenant(tenant).status());
                          return Impl::newest_sequence(tx, tenant);
                        }));
  return impl_->dispatcher->add(tenant, observer, newest);
}

Status Engine::remove_observer(TenantId tenant, EventObserver* observer) {
  return impl_->dispatcher->remove(tenant, observer);
}

}  // namespace omni
