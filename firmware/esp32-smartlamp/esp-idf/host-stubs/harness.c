// Runs the real ESP-IDF layer (main/*.c) with the real Swift core (Embedded Swift, compiled for the host) against
// the stubs: boot, Wi-Fi up, MQTT connect, a command, the button, an oversized payload, a lost connection and the
// reconnect, with the fake clock crossing the 32-bit millisecond wrap. Prints one line per check and
// "harness: N passed, M failed"; exits non-zero on any failure.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lamp_app.h"
#include "lamp_core.h"
#include "sdkconfig.h"
#include "stubs.h"

void app_main(void);

static int passed, failed;

static void check(bool condition, const char *what) {
  printf("%s %s\n", condition ? "ok  " : "FAIL", what);
  if (condition) {
    passed++;
  } else {
    failed++;
  }
}

static int find_publish(int from, const char *topic, const char *fragment) {
  for (int i = from; i < stub.publish_count; i++) {
    if (strcmp(stub.publishes[i].topic, topic) == 0 && strstr(stub.publishes[i].payload, fragment)) return i;
  }
  return -1;
}

static void steps(int count) {
  for (int i = 0; i < count; i++) lamp_app_step();
}

static void press_button(void) {
  stub.gpio_level[CONFIG_SMARTLAMP_BUTTON_GPIO] = 0;  // active low
  steps(8);                                          // 80 ms held
  stub.gpio_level[CONFIG_SMARTLAMP_BUTTON_GPIO] = 1;
  steps(8);
}

static void scenario(void) {
  const uint32_t start_ms = 0xFFFFFFFFu - 10000u;  // 10 s before the 32-bit millisecond counter wraps
  stub.now_us = (int64_t)start_ms * 1000;
  stub.gpio_level[CONFIG_SMARTLAMP_BUTTON_GPIO] = 1;  // released (pull-up)

  app_main();
  check(stub.task != NULL && stub.task_stack == LAMP_TASK_STACK, "app_main starts the lamp task with its stack size");
  check(stub.gpio_mode[CONFIG_SMARTLAMP_RELAY_GPIO] == GPIO_MODE_OUTPUT, "relay pin is an output");
  check(stub.gpio_level[CONFIG_SMARTLAMP_RELAY_GPIO] == 0, "relay off at boot (nothing saved, policy last)");
  check(stub.mqtt_config.broker.verification.certificate != NULL, "TLS verifies the broker against the embedded CA");
  check(strcmp(stub.mqtt_config.session.last_will.topic, "home/lampu-stub/lwt") == 0 &&
            strcmp(stub.mqtt_config.session.last_will.msg, "OFFLINE") == 0 &&
            stub.mqtt_config.session.last_will.retain == 1 && stub.mqtt_config.session.last_will.qos == 1,
        "Will: retained OFFLINE on home/<id>/lwt, QoS 1");
  check(stub.mqtt_config.network.disable_auto_reconnect, "esp-mqtt's own reconnect is off (the core decides)");
  check(strcmp(stub.mqtt_config.credentials.username, "lamp") == 0 &&
            strcmp(stub.mqtt_config.credentials.authentication.password, "lamp-password") == 0,
        "user/password from the configuration");
  check(stub.sntp_started, "SNTP started");

  steps(20);
  check(stub.mqtt_starts == 0, "no MQTT attempt before Wi-Fi is up");
  stub_fire_event(WIFI_EVENT, WIFI_EVENT_STA_START);
  check(stub.wifi_connects == 1, "Wi-Fi connect on STA start");
  stub_fire_event(IP_EVENT, IP_EVENT_STA_GOT_IP);
  steps(2);
  check(stub.mqtt_starts == 1, "got IP: the core asks for a connection and the client starts");

  stub_fire_mqtt(MQTT_EVENT_CONNECTED, NULL, NULL, 0, 0);
  steps(1);
  check(stub.subscription_count == 3 && strcmp(stub.subscriptions[0], "cmnd/lampu-stub/+") == 0 &&
            strcmp(stub.subscriptions[1], "lampu-stub/cmnd/+") == 0 &&
            strcmp(stub.subscriptions[2], "home/lampu-stub/cmd") == 0,
        "subscribed to both command topic orders and the envelope topic");
  int online = find_publish(0, "home/lampu-stub/lwt", "ONLINE");
  check(online >= 0 && stub.publishes[online].retain, "retained ONLINE after connect");
  int boot = find_publish(0, "home/lampu-stub/status", "\"reason\":\"boot\"");
  check(boot >= 0 && stub.publishes[boot].retain && strstr(stub.publishes[boot].payload, "\"power\":\"OFF\""),
        "retained boot status with power OFF");
  check(boot >= 0 && strstr(stub.publishes[boot].payload, "\"rssi\":-58") != NULL, "status carries the Wi-Fi rssi");

  int before = stub.publish_count;
  const char *on = "ON";
  stub_fire_mqtt(MQTT_EVENT_DATA, "cmnd/lampu-stub/POWER", on, 2, 2);
  steps(1);
  check(stub.gpio_level[CONFIG_SMARTLAMP_RELAY_GPIO] == 1, "cmnd/<id>/POWER ON drives the relay pin high");
  check(find_publish(before, "stat/lampu-stub/POWER", "ON") >= 0 &&
            find_publish(before, "stat/lampu-stub/RESULT", "{\"POWER\":\"ON\"}") >= 0,
        "stat/<id>/POWER and RESULT answer ON");
  check(stub.nvs_length == 16 && stub.nvs_blob[0] == 'S' && stub.nvs_blob[1] == 'L' && stub.nvs_blob[3] == 1,
        "the new state is committed to NVS");

  stub_fire_mqtt(MQTT_EVENT_DATA, "cmnd/lampu-other/POWER", "OFF", 3, 3);
  steps(1);
  check(stub.gpio_level[CONFIG_SMARTLAMP_RELAY_GPIO] == 1, "another device's command is ignored");

  stub_advance_us(((int64_t)0x100000000 - 40) * 1000 - stub.now_us);  // 40 ms before the wrap: the press spans it
  press_button();
  check(stub.gpio_level[CONFIG_SMARTLAMP_RELAY_GPIO] == 0, "a debounced button press toggles the relay off");
  check((uint32_t)(stub.now_us / 1000) < 1000, "that press crossed the 32-bit millisecond wrap");

  before = stub.publish_count;
  static char big[2000];
  memset(big, 'x', sizeof big);
  stub_fire_mqtt(MQTT_EVENT_DATA, "cmnd/lampu-stub/POWER", big, 1000, 2000);
  steps(1);
  int refusal = find_publish(before, "home/lampu-stub/status", "\"error\":\"TOO_LARGE\"");
  check(refusal >= 0 && !stub.publishes[refusal].retain, "an oversized payload is refused, reported, not retained");

  stub_fire_mqtt(MQTT_EVENT_DISCONNECTED, NULL, NULL, 0, 0);
  steps(1);
  press_button();
  check(stub.gpio_level[CONFIG_SMARTLAMP_RELAY_GPIO] == 1, "the button works while MQTT is down");
  int reconnects = stub.mqtt_reconnects;
  for (int i = 0; i < 300 && stub.mqtt_reconnects == reconnects; i++) steps(1);  // up to 3 s of fake time
  check(stub.mqtt_reconnects == reconnects + 1, "the core reconnects after its backoff");
  before = stub.publish_count;
  stub_fire_mqtt(MQTT_EVENT_CONNECTED, NULL, NULL, 0, 0);
  steps(1);
  int back = find_publish(before, "home/lampu-stub/status", "\"reason\":\"reconnect\"");
  check(back >= 0 && strstr(stub.publishes[back].payload, "\"power\":\"ON\""),
        "after reconnecting the state changed offline is published");

  // The deepest path: a forged envelope to a lamp with a secret is parsed, its HMAC computed and refused.
  check(lamp_core_init("lampu-stub", "stub-secret", LAMP_RESTORE_LAST, 1) == 0, "re-initialised with a secret");
  lamp_core_boot(stub.nvs_blob, stub.nvs_length, lamp_hw_monotonic_ms(), lamp_hw_wall_ms());
  lamp_core_connected(lamp_hw_monotonic_ms(), lamp_hw_wall_ms());
  before = stub.publish_count;
  const char *forged =
      "{\"deviceId\":\"lampu-stub\",\"action\":\"OFF\",\"requestId\":\"r1\",\"issuedAt\":1,\"expiresAt\":2,"
      "\"nonce\":\"nonce-0001\",\"sig\":\"00000000000000000000000000000000000000000000000000000000000000ff\"}";
  stub_fire_mqtt(MQTT_EVENT_DATA, "cmnd/lampu-stub/POWER", forged, (int)strlen(forged), (int)strlen(forged));
  steps(1);
  check(find_publish(before, "home/lampu-stub/status", "\"error\":\"SIGNATURE_INVALID\"") >= 0 &&
            stub.gpio_level[CONFIG_SMARTLAMP_RELAY_GPIO] == 1,
        "a forged envelope is refused as SIGNATURE_INVALID and the relay stays on");
}

// The scenario runs on a painted stack so the deepest stack use of the layer and the core can be measured
// (on x86-64 here; RISC-V frames are smaller, pointers being 4 bytes).
#define STACK_SIZE (256 * 1024)
static void *run_scenario(void *arg) {
  (void)arg;
  scenario();
  return NULL;
}
static void *run_nothing(void *arg) { return arg; }

static size_t stack_used(void *(*body)(void *)) {
  unsigned char *stack = aligned_alloc(4096, STACK_SIZE);
  memset(stack, 0xA5, STACK_SIZE);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstack(&attr, stack, STACK_SIZE);
  pthread_t thread;
  pthread_create(&thread, &attr, body, NULL);
  pthread_join(thread, NULL);
  size_t untouched = 0;
  while (untouched < STACK_SIZE && stack[untouched] == 0xA5) untouched++;
  free(stack);
  return STACK_SIZE - untouched;
}

int main(void) {
  size_t baseline = stack_used(run_nothing);
  size_t used = stack_used(run_scenario);
  printf("stack: the lamp task's work used %zu bytes on x86-64 (the device task has %d)\n", used - baseline,
         LAMP_TASK_STACK);
  check(used - baseline + 2048 <= LAMP_TASK_STACK, "stack use leaves at least 2 KB of the lamp task's stack free");
  printf("harness: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
