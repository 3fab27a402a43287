#pragma once
// The subset of esp-mqtt's include/mqtt_client.h (ESP-IDF 5.x) that lamp_net.c uses, same names and layout.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "esp_err.h"
#include "esp_event.h"
typedef struct esp_mqtt_client *esp_mqtt_client_handle_t;
typedef enum esp_mqtt_event_id_t {
  MQTT_EVENT_ANY = -1,
  MQTT_EVENT_ERROR = 0,
  MQTT_EVENT_CONNECTED,
  MQTT_EVENT_DISCONNECTED,
  MQTT_EVENT_SUBSCRIBED,
  MQTT_EVENT_UNSUBSCRIBED,
  MQTT_EVENT_PUBLISHED,
  MQTT_EVENT_DATA,
  MQTT_EVENT_BEFORE_CONNECT,
  MQTT_EVENT_DELETED,
  MQTT_USER_EVENT,
} esp_mqtt_event_id_t;
typedef struct esp_mqtt_event_t {
  esp_mqtt_event_id_t event_id;
  esp_mqtt_client_handle_t client;
  char *data;
  int data_len;
  int total_data_len;
  int current_data_offset;
  char *topic;
  int topic_len;
  int msg_id;
  int session_present;
  void *error_handle;
  bool retain;
  int qos;
  bool dup;
} esp_mqtt_event_t;
typedef esp_mqtt_event_t *esp_mqtt_event_handle_t;
typedef struct esp_mqtt_client_config_t {
  struct broker_t {
    struct address_t {
      const char *uri;
    } address;
    struct verification_t {
      const char *certificate;
      size_t certificate_len;
    } verification;
  } broker;
  struct credentials_t {
    const char *username;
    const char *client_id;
    struct authentication_t {
      const char *password;
    } authentication;
  } credentials;
  struct session_t {
    struct last_will_t {
      const char *topic;
      const char *msg;
      int msg_len;
      int qos;
      int retain;
    } last_will;
    int keepalive;
  } session;
  struct network_t {
    bool disable_auto_reconnect;
  } network;
  struct buffer_t {
    int size;
  } buffer;
} esp_mqtt_client_config_t;
esp_mqtt_client_handle_t esp_mqtt_client_init(const esp_mqtt_client_config_t *config);
esp_err_t esp_mqtt_client_start(esp_mqtt_client_handle_t client);
esp_err_t esp_mqtt_client_reconnect(esp_mqtt_client_handle_t client);
int esp_mqtt_client_subscribe_single(esp_mqtt_client_handle_t client, const char *topic, int qos);
#define esp_mqtt_client_subscribe(client_handle, topic_type, qos_or_size) \
  esp_mqtt_client_subscribe_single(client_handle, topic_type, qos_or_size)
int esp_mqtt_client_enqueue(esp_mqtt_client_handle_t client, const char *topic, const char *data, int len, int qos,
                            int retain, bool store);
esp_err_t esp_mqtt_client_register_event(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t event,
                                         esp_event_handler_t event_handler, void *event_handler_arg);
