// What the Swift lamp core asks of the device (implemented in C by lamp_hw.c and lamp_net.c). This is the
// bridging header of the Swift build. Called only from inside lamp_core_* calls, on the lamp task; none of these
// may call back into the core (they queue work instead).
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Drive the relay (true = lamp on).
void lamp_port_set_relay(bool on);
/// Publish `payload` on the NUL-terminated `topic`.
void lamp_port_publish(const char *topic, const uint8_t *payload, size_t payload_len, uint8_t qos, bool retain);
/// Subscribe to the NUL-terminated topic filter.
void lamp_port_subscribe(const char *topic, uint8_t qos);
/// Store the 16-byte state record (relay state + nonce high-water mark) in NVS.
void lamp_port_persist(const uint8_t *record, size_t record_len);
/// Informational: a connect request follows after about this many milliseconds.
void lamp_port_schedule_reconnect(uint32_t after_ms);
/// Start one MQTT connection attempt; its outcome comes back as an event.
void lamp_port_connect(void);

#ifdef __cplusplus
}
#endif
