// The Swift lamp core's C-callable surface (implemented by LampBridge.swift with @_cdecl). Every call runs the core
// on the caller's thread: the ESP-IDF layer calls these only from its lamp task. Times: mono_ms is the 32-bit
// millisecond counter (wraps after 49.7 days, handled by the core); wall_ms is epoch milliseconds, 0 while unknown.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { LAMP_RESTORE_LAST = 0, LAMP_RESTORE_OFF = 1, LAMP_RESTORE_ON = 2 };

/// Configures the core. Returns 0, or -1 for an invalid device id, -2 for a secret over 128 bytes, -3 otherwise.
int32_t lamp_core_init(const char *device_id, const char *secret, uint8_t restore_policy, uint64_t seed);
/// Restores the relay from the saved record (record_len 0 = nothing saved) and arms the first connection.
void lamp_core_boot(const uint8_t *record, size_t record_len, uint32_t mono_ms, uint64_t wall_ms);
void lamp_core_network_up(uint32_t mono_ms, uint64_t wall_ms);
void lamp_core_connected(uint32_t mono_ms, uint64_t wall_ms);
void lamp_core_disconnected(uint32_t mono_ms, uint64_t wall_ms);
/// One received message; payloads longer than 512 bytes are refused (pass up to 513 bytes to report TOO_LARGE).
void lamp_core_message(const char *topic, size_t topic_len, const uint8_t *payload, size_t payload_len,
                       uint32_t mono_ms, uint64_t wall_ms);
void lamp_core_button(bool pressed, uint32_t mono_ms, uint64_t wall_ms);
void lamp_core_tick(uint32_t mono_ms, uint64_t wall_ms);
void lamp_core_set_rssi(int16_t rssi, bool known);
/// Writes the Will topic (home/<id>/lwt) NUL-terminated into `out`; returns its length, 0 if it does not fit.
size_t lamp_core_will_topic(char *out, size_t capacity);
/// The relay state the core holds.
bool lamp_core_power(void);

#ifdef __cplusplus
}
#endif
