// What the host stubs record, for harness.c.
#pragma once
#include "driver/gpio.h"
#include "esp_event.h"
#include "esp_netif.h"
#include "esp_random.h"
#include "esp_timer.h"
#include "esp_sntp.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "mqtt_client.h"
#include "nvs.h"
#include "nvs_flash.h"

#define STUB_MAX_PUBLISHES 64

typedef struct {
  esp_event_base_t base;
  int32_t id;
  esp_event_handler_t handler;
  void *arg;
} stub_handler_t;

typedef struct {
  char topic[161];
  char payload[600];
  int qos;
  int retain;
} stub_publish_t;

typedef struct {
  int64_t now_us;
  TaskFunction_t task;
  uint32_t task_stack;
  gpio_mode_t gpio_mode[64];
  int gpio_level[64];
  int relay_writes;
  uint8_t nvs_blob[64], nvs_pending[64];
  size_t nvs_length, nvs_pending_length;
  int nvs_commits;
  stub_handler_t handlers[4];
  int handler_count;
  uint8_t wifi_ssid[32];
  int wifi_connects;
  bool sntp_started;
  esp_mqtt_client_config_t mqtt_config;
  esp_event_handler_t mqtt_handler;
  void *mqtt_handler_arg;
  int mqtt_starts, mqtt_reconnects;
  char subscriptions[8][161];
  int subscription_count;
  stub_publish_t publishes[STUB_MAX_PUBLISHES];
  int publish_count;
} stub_state_t;

extern stub_state_t stub;

void stub_advance_us(int64_t us);
void stub_fire_event(esp_event_base_t base, int32_t id);
void stub_fire_mqtt(esp_mqtt_event_id_t id, const char *topic, const char *data, int data_len, int total_len);
