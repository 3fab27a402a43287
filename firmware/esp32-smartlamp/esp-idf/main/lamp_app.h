// Internal interface between the ESP-IDF layer's files: the event queue that carries everything to the lamp task
// (the only task that calls the Swift core), the network and the hardware.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// The lamp task's stack in bytes: the core's deepest path (a signed envelope refused) used 7.5 KB in the host harness.
#define LAMP_TASK_STACK 12288
#define LAMP_TOPIC_MAX 160
/// One byte more than the core accepts, so an oversized payload still reaches it and is reported as TOO_LARGE.
#define LAMP_PAYLOAD_MAX 513

typedef enum {
  LAMP_EVENT_NETWORK_UP,
  LAMP_EVENT_CONNECTED,
  LAMP_EVENT_DISCONNECTED,
  LAMP_EVENT_MESSAGE,
} lamp_event_kind_t;

typedef struct {
  lamp_event_kind_t kind;
  uint16_t topic_len;
  uint16_t payload_len;
  char topic[LAMP_TOPIC_MAX + 1];
  uint8_t payload[LAMP_PAYLOAD_MAX];
} lamp_event_t;

/// Queues a received message for the lamp task; only the MQTT task calls it. Dropped when the queue is full.
void lamp_post_message(const lamp_event_t *event);
/// Queues a state change (any task). Dropped when full; the core recovers through its connect timeout.
void lamp_post_kind(lamp_event_kind_t kind);

/// One iteration of the lamp task: waits up to 10 ms for an event, feeds it, samples the button, ticks the core.
void lamp_app_step(void);
/// Everything before the lamp task starts: NVS, GPIO, core init and boot, Wi-Fi, SNTP, MQTT client.
void lamp_app_start(void);

// lamp_hw.c
void lamp_hw_init(void);
bool lamp_hw_button_pressed(void);
uint32_t lamp_hw_monotonic_ms(void);
uint64_t lamp_hw_wall_ms(void);
/// Loads the saved record into `out`; returns its length (0 when none).
size_t lamp_hw_load_record(uint8_t *out, size_t capacity);

// lamp_net.c
void lamp_net_start(const char *will_topic);
/// The current Wi-Fi signal in dBm; false when not associated.
bool lamp_net_rssi(int16_t *rssi);
