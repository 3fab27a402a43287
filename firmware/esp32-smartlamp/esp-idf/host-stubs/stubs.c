// Host simulation of the ESP-IDF calls in include/: a fake microsecond clock that advances while the lamp task
// waits on its queue, one-shot timers, queues, GPIO levels, an NVS blob store, Wi-Fi/IP event dispatch and an
// esp-mqtt client that records what the device layer asks of it. Used by harness.c only.
#include "stubs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

esp_event_base_t const WIFI_EVENT = "WIFI_EVENT";
esp_event_base_t const IP_EVENT = "IP_EVENT";
// EMBED_TXTFILES provides this symbol on the device.
const char stub_broker_ca[] __asm__("_binary_broker_ca_pem_start") =
    "-----BEGIN CERTIFICATE-----\nstub\n-----END CERTIFICATE-----\n";

stub_state_t stub;

const char *esp_err_to_name(esp_err_t code) { return code == ESP_OK ? "ESP_OK" : "ESP_ERR"; }

void stub_log(char level, const char *tag, const char *format, ...) {
  if (!getenv("STUB_VERBOSE")) return;
  va_list args;
  va_start(args, format);
  printf("  [%c %s] ", level, tag);
  vprintf(format, args);
  printf("\n");
  va_end(args);
}

uint32_t esp_random(void) { return 0x5eed1234u; }

// ---- clock and timers
struct esp_timer {
  esp_timer_cb_t callback;
  void *arg;
  bool armed;
  int64_t due_us;
};
static struct esp_timer timers[4];
static int timer_count;

int64_t esp_timer_get_time(void) { return stub.now_us; }

esp_err_t esp_timer_create(const esp_timer_create_args_t *args, esp_timer_handle_t *out) {
  if (timer_count == 4) return ESP_FAIL;
  timers[timer_count] = (struct esp_timer){.callback = args->callback, .arg = args->arg};
  *out = &timers[timer_count++];
  return ESP_OK;
}

esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us) {
  if (timer->armed) return ESP_FAIL;
  timer->armed = true;
  timer->due_us = stub.now_us + (int64_t)timeout_us;
  return ESP_OK;
}

void stub_advance_us(int64_t us) {
  stub.now_us += us;
  for (int i = 0; i < timer_count; i++) {
    if (timers[i].armed && timers[i].due_us <= stub.now_us) {
      timers[i].armed = false;
      timers[i].callback(timers[i].arg);
    }
  }
}

// ---- FreeRTOS
struct QueueDefinition {
  size_t item_size, capacity, head, count;
  uint8_t *items;
};

QueueHandle_t xQueueCreate(UBaseType_t length, UBaseType_t item_size) {
  QueueHandle_t queue = calloc(1, sizeof *queue);
  queue->item_size = item_size;
  queue->capacity = length;
  queue->items = calloc(length, item_size);
  return queue;
}

BaseType_t xQueueSend(QueueHandle_t queue, const void *item, TickType_t ticks) {
  (void)ticks;
  if (queue->count == queue->capacity) return pdFALSE;
  memcpy(queue->items + ((queue->head + queue->count) % queue->capacity) * queue->item_size, item, queue->item_size);
  queue->count++;
  return pdTRUE;
}

BaseType_t xQueueReceive(QueueHandle_t queue, void *buffer, TickType_t ticks) {
  if (queue->count == 0) {
    stub_advance_us((int64_t)ticks * (1000000 / configTICK_RATE_HZ));  // the wait passes on the fake clock
    return pdFALSE;
  }
  memcpy(buffer, queue->items + queue->head * queue->item_size, queue->item_size);
  queue->head = (queue->head + 1) % queue->capacity;
  queue->count--;
  return pdTRUE;
}

BaseType_t xTaskCreate(TaskFunction_t code, const char *const name, const uint32_t depth, void *const params,
                       UBaseType_t priority, TaskHandle_t *const created) {
  (void)name, (void)params, (void)priority, (void)created;
  stub.task = code;
  stub.task_stack = depth;
  return pdPASS;
}

// ---- GPIO and NVS
esp_err_t gpio_config(const gpio_config_t *config) {
  for (int pin = 0; pin < 64; pin++) {
    if (config->pin_bit_mask & (1ULL << pin)) stub.gpio_mode[pin] = config->mode;
  }
  return ESP_OK;
}

esp_err_t gpio_set_level(gpio_num_t pin, uint32_t level) {
  if (stub.gpio_mode[pin] != GPIO_MODE_OUTPUT) return ESP_FAIL;
  stub.gpio_level[pin] = (int)level;
  stub.relay_writes++;
  return ESP_OK;
}

int gpio_get_level(gpio_num_t pin) { return stub.gpio_level[pin]; }

esp_err_t nvs_flash_init(void) { return ESP_OK; }
esp_err_t nvs_flash_erase(void) { return ESP_OK; }

esp_err_t nvs_open(const char *name, nvs_open_mode_t mode, nvs_handle_t *out) {
  (void)mode;
  if (strcmp(name, "smartlamp") != 0) return ESP_FAIL;
  *out = 1;
  return ESP_OK;
}

esp_err_t nvs_get_blob(nvs_handle_t handle, const char *key, void *out, size_t *length) {
  (void)handle;
  if (strcmp(key, "state") != 0 || stub.nvs_length == 0) return ESP_ERR_NVS_NOT_FOUND;
  if (*length < stub.nvs_length) return ESP_FAIL;
  memcpy(out, stub.nvs_blob, stub.nvs_length);
  *length = stub.nvs_length;
  return ESP_OK;
}

esp_err_t nvs_set_blob(nvs_handle_t handle, const char *key, const void *value, size_t length) {
  (void)handle;
  if (strcmp(key, "state") != 0 || length > sizeof stub.nvs_blob) return ESP_FAIL;
  memcpy(stub.nvs_pending, value, length);
  stub.nvs_pending_length = length;
  return ESP_OK;
}

esp_err_t nvs_commit(nvs_handle_t handle) {
  (void)handle;
  memcpy(stub.nvs_blob, stub.nvs_pending, stub.nvs_pending_length);
  stub.nvs_length = stub.nvs_pending_length;
  stub.nvs_commits++;
  return ESP_OK;
}

// ---- events, Wi-Fi, SNTP
esp_err_t esp_event_loop_create_default(void) { return ESP_OK; }
esp_err_t esp_netif_init(void) { return ESP_OK; }
esp_netif_t *esp_netif_create_default_wifi_sta(void) { return (esp_netif_t *)&stub; }

esp_err_t esp_event_handler_instance_register(esp_event_base_t base, int32_t id, esp_event_handler_t handler,
                                              void *arg, esp_event_handler_instance_t *instance) {
  (void)instance;
  if (stub.handler_count == 4) return ESP_FAIL;
  stub.handlers[stub.handler_count++] = (stub_handler_t){base, id, handler, arg};
  return ESP_OK;
}

void stub_fire_event(esp_event_base_t base, int32_t id) {
  for (int i = 0; i < stub.handler_count; i++) {
    if (stub.handlers[i].base == base && (stub.handlers[i].id == id || stub.handlers[i].id == ESP_EVENT_ANY_ID)) {
      stub.handlers[i].handler(stub.handlers[i].arg, base, id, NULL);
    }
  }
}

esp_err_t esp_wifi_init(const wifi_init_config_t *config) { return config->magic == 0x1F2F3F4F ? ESP_OK : ESP_FAIL; }
esp_err_t esp_wifi_set_mode(wifi_mode_t mode) { return mode == WIFI_MODE_STA ? ESP_OK : ESP_FAIL; }
esp_err_t esp_wifi_set_config(wifi_interface_t interface, wifi_config_t *conf) {
  (void)interface;
  memcpy(stub.wifi_ssid, conf->sta.ssid, sizeof conf->sta.ssid);
  return ESP_OK;
}
esp_err_t esp_wifi_start(void) { return ESP_OK; }
esp_err_t esp_wifi_connect(void) {
  stub.wifi_connects++;
  return ESP_OK;
}
esp_err_t esp_wifi_sta_get_ap_info(wifi_ap_record_t *ap) {
  ap->rssi = -58;
  return ESP_OK;
}

void esp_sntp_setoperatingmode(esp_sntp_operatingmode_t mode) { (void)mode; }
void esp_sntp_setservername(uint8_t idx, const char *server) { (void)idx, (void)server; }
void esp_sntp_init(void) { stub.sntp_started = true; }

// ---- esp-mqtt
struct esp_mqtt_client {
  int unused;
};
static struct esp_mqtt_client client;

esp_mqtt_client_handle_t esp_mqtt_client_init(const esp_mqtt_client_config_t *config) {
  stub.mqtt_config = *config;
  return &client;
}

esp_err_t esp_mqtt_client_start(esp_mqtt_client_handle_t handle) {
  (void)handle;
  stub.mqtt_starts++;
  return ESP_OK;
}

esp_err_t esp_mqtt_client_reconnect(esp_mqtt_client_handle_t handle) {
  (void)handle;
  stub.mqtt_reconnects++;
  return ESP_OK;
}

int esp_mqtt_client_subscribe_single(esp_mqtt_client_handle_t handle, const char *topic, int qos) {
  (void)handle, (void)qos;
  if (stub.subscription_count < 8) snprintf(stub.subscriptions[stub.subscription_count++], 161, "%s", topic);
  return 1;
}

int esp_mqtt_client_enqueue(esp_mqtt_client_handle_t handle, const char *topic, const char *data, int len, int qos,
                            int retain, bool store) {
  (void)handle, (void)store;
  if (stub.publish_count == STUB_MAX_PUBLISHES) return -2;
  stub_publish_t *record = &stub.publishes[stub.publish_count++];
  snprintf(record->topic, sizeof record->topic, "%s", topic);
  snprintf(record->payload, sizeof record->payload, "%.*s", len, data);
  record->qos = qos;
  record->retain = retain;
  return 1;
}

esp_err_t esp_mqtt_client_register_event(esp_mqtt_client_handle_t handle, esp_mqtt_event_id_t event,
                                         esp_event_handler_t handler, void *arg) {
  (void)handle, (void)event;
  stub.mqtt_handler = handler;
  stub.mqtt_handler_arg = arg;
  return ESP_OK;
}

void stub_fire_mqtt(esp_mqtt_event_id_t id, const char *topic, const char *data, int data_len, int total_len) {
  esp_mqtt_event_t event = {.event_id = id, .client = &client};
  event.topic = (char *)topic;
  event.topic_len = topic ? (int)strlen(topic) : 0;
  event.data = (char *)data;
  event.data_len = data_len;
  event.total_data_len = total_len;
  stub.mqtt_handler(stub.mqtt_handler_arg, "MQTT_EVENTS", id, &event);
}
