// Out-of-line virtual destructors: they anchor each interface's vtable in the library.
#include "omni/bot.h"
#include "omni/clock.h"
#include "omni/event_observer.h"
#include "omni/sys/channel_adapter.h"
#include "omni/sys/store.h"

namespace omni {

BotResponder::~BotResponder() = default;
Clock::~Clock() = default;
ChannelAdapter::~ChannelAdapter() = default;
EventObserver::~EventObserver() = default;
StoreTransaction::~StoreTransaction() = default;
Store::~Store() = default;

}  // namespace omni
