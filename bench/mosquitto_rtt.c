/*
 * The C baseline of issue #10's MQTT comparison: the same round trip MQTTBench measures (publish a 32-byte QoS 0
 * message on a topic this client subscribes to, wait until the broker hands it back, one at a time; the first 10 %
 * warm up), on libmosquitto driven by its own blocking loop. Prints one JSON line like MQTTBench.
 *
 *   cc -O2 -o mosquitto_rtt bench/mosquitto_rtt.c -lmosquitto
 *   mosquitto_rtt PORT [COUNT]
 *
 * scripts/bench-mqtt.sh installs Debian's libmosquitto-dev when missing and builds this next to its broker.
 */
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile int received;
static volatile int subscribed;

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg) {
  (void)m; (void)ctx; (void)msg;
  received = 1;
}

static void on_subscribe(struct mosquitto *m, void *ctx, int mid, int count, const int *granted) {
  (void)m; (void)ctx; (void)mid; (void)count; (void)granted;
  subscribed = 1;
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Runs the client's loop until `flag` is set; nonzero on a broken connection. */
static int wait_for(struct mosquitto *m, volatile int *flag) {
  while (!*flag) {
    int rc = mosquitto_loop(m, 1000, 1);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: mosquitto_rtt PORT [COUNT]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int count = argc > 2 ? atoi(argv[2]) : 5000;
  int warmup = count / 10;
  mosquitto_lib_init();
  char id[64], topic[64];
  snprintf(id, sizeof id, "mosquitto-rtt-%d", (int)(now_us()) & 0xffffff);
  snprintf(topic, sizeof topic, "bench/rtt/c%d", (int)(now_us()) & 0xffffff);
  struct mosquitto *m = mosquitto_new(id, true, NULL);
  if (!m) return 1;
  mosquitto_message_callback_set(m, on_message);
  mosquitto_subscribe_callback_set(m, on_subscribe);
  if (mosquitto_connect(m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) {
    fprintf(stderr, "connect failed\n");
    return 1;
  }
  /* Nagle off, as our client and Mosquitto (set_tcp_nodelay) have it. */
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_subscribe(m, NULL, topic, 0);
  if (wait_for(m, &subscribed)) return 1;
  unsigned char payload[32];
  memset(payload, 0x42, sizeof payload);
  double *samples = malloc(sizeof(double) * count);
  for (int i = 0; i < count + warmup; i++) {
    received = 0;
    double start = now_us();
    mosquitto_publish(m, NULL, topic, sizeof payload, payload, 0, false);
    if (wait_for(m, &received)) {
      fprintf(stderr, "connection lost\n");
      return 1;
    }
    if (i >= warmup) samples[i - warmup] = now_us() - start;
  }
  qsort(samples, count, sizeof(double), compare);
  double p50 = samples[(int)(count * 0.5)], p99 = samples[count * 99 / 100 < count ? count * 99 / 100 : count - 1];
  printf("{\"client\": \"libmosquitto\", \"rtt_p50_us\": %.1f, \"rtt_p99_us\": %.1f, \"rtt_count\": %d}\n", p50, p99,
         count);
  mosquitto_disconnect(m);
  mosquitto_destroy(m);
  mosquitto_lib_cleanup();
  return 0;
}
