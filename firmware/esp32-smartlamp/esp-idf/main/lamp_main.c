// SmartLamp ESP32 firmware entry: starts the device layer and runs the lamp task, the only caller of the Swift
// core. Network and hardware callbacks never call the core; they queue events here.
#include <string.h>

#include "esp_log.h"
#include "esp_random.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "lamp_app.h"
#include "lamp_core.h"
#include "sdkconfig.h"

static const char *TAG = "smartlamp";
static QueueHandle_t control_queue;  // lamp_event_kind_t values, from any task
static QueueHandle_t message_queue;  // lamp_event_t, from the MQTT task only
static uint32_t last_rssi_ms;

static void refresh_rssi(uint32_t now) {
  last_rssi_ms = now;
  int16_t rssi = 0;
  bool known = lamp_net_rssi(&rssi);
  lamp_core_set_rssi(rssi, known);
}

void lamp_post_message(const lamp_event_t *event) {
  if (xQueueSend(message_queue, event, 0) != pdTRUE) {
    ESP_LOGW(TAG, "message queue full, message dropped");
  }
}

void lamp_post_kind(lamp_event_kind_t kind) {
  uint8_t code = (uint8_t)kind;
  if (xQueueSend(control_queue, &code, 0) != pdTRUE) {
    ESP_LOGW(TAG, "control queue full, event %d dropped", (int)kind);
  }
}

void lamp_app_step(void) {
  static lamp_event_t message;  // ~700 bytes: kept off the task stack
  uint8_t code;
  if (xQueueReceive(control_queue, &code, pdMS_TO_TICKS(10)) == pdTRUE) {
    uint32_t mono = lamp_hw_monotonic_ms();
    uint64_t wall = lamp_hw_wall_ms();
    switch ((lamp_event_kind_t)code) {
      case LAMP_EVENT_NETWORK_UP:
        refresh_rssi(mono);
        lamp_core_network_up(mono, wall);
        break;
      case LAMP_EVENT_CONNECTED:
        ESP_LOGI(TAG, "MQTT connected");
        lamp_core_connected(mono, wall);
        break;
      case LAMP_EVENT_DISCONNECTED:
        ESP_LOGW(TAG, "MQTT disconnected");
        lamp_core_disconnected(mono, wall);
        break;
      case LAMP_EVENT_MESSAGE:
        break;
    }
  }
  while (xQueueReceive(message_queue, &message, 0) == pdTRUE) {
    lamp_core_message(message.topic, message.topic_len, message.payload, message.payload_len,
                      lamp_hw_monotonic_ms(), lamp_hw_wall_ms());
  }
  uint32_t now = lamp_hw_monotonic_ms();
  if ((uint32_t)(now - last_rssi_ms) >= 5000) refresh_rssi(now);  // wrap-safe, like every interval here
  lamp_core_button(lamp_hw_button_pressed(), now, lamp_hw_wall_ms());
  lamp_core_tick(now, lamp_hw_wall_ms());
}

static void lamp_task(void *arg) {
  (void)arg;
  for (;;) {
    lamp_app_step();
  }
}

void lamp_app_start(void) {
  control_queue = xQueueCreate(8, sizeof(uint8_t));
  message_queue = xQueueCreate(4, sizeof(lamp_event_t));
  lamp_hw_init();
  uint64_t seed = ((uint64_t)esp_random() << 32) | esp_random();
  int32_t status = lamp_core_init(CONFIG_SMARTLAMP_DEVICE_ID, CONFIG_SMARTLAMP_HMAC_SECRET,
                                  (uint8_t)CONFIG_SMARTLAMP_RESTORE_POLICY, seed);
  if (status != 0) {
    ESP_LOGE(TAG, "invalid configuration (%d): device id must be 1-64 of [A-Za-z0-9._:-], secret <= 128 bytes",
             (int)status);
    return;
  }
  uint8_t record[32];
  size_t length = lamp_hw_load_record(record, sizeof record);
  lamp_core_boot(record, length, lamp_hw_monotonic_ms(), lamp_hw_wall_ms());
  ESP_LOGI(TAG, "device %s booted, relay %s", CONFIG_SMARTLAMP_DEVICE_ID, lamp_core_power() ? "ON" : "OFF");
  char will_topic[LAMP_TOPIC_MAX + 1];
  if (lamp_core_will_topic(will_topic, sizeof will_topic) == 0) {
    ESP_LOGE(TAG, "no Will topic");
    return;
  }
  lamp_net_start(will_topic);
}

void app_main(void) {
  lamp_app_start();
  xTaskCreate(lamp_task, "lamp", LAMP_TASK_STACK, NULL, 5, NULL);
}
