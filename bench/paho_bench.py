"""paho-mqtt side of the MQTT benchmark: same measurements as Sources/MQTTBench, printed as one JSON object.

usage: paho_bench.py PORT [--username U --password P] [--rtt N] [--qos0 N] [--qos1 N] [--window N]
"""
import argparse
import json
import random
import resource
import threading
import time

import paho.mqtt.client as mqtt


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--username")
    parser.add_argument("--password")
    parser.add_argument("--rtt", type=int, default=5000)
    parser.add_argument("--qos0", type=int, default=200000)
    parser.add_argument("--qos1", type=int, default=50000)
    parser.add_argument("--window", type=int, default=64)
    args = parser.parse_args()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"paho-bench-{random.getrandbits(32)}")
    if args.username:
        client.username_pw_set(args.username, args.password)
    client.max_inflight_messages_set(args.window)
    client.max_queued_messages_set(0)
    received = threading.Event()
    client.on_message = lambda c, u, m: received.set()
    subscribed = threading.Event()
    client.on_subscribe = lambda c, u, mid, codes, props: subscribed.set()
    client.connect("127.0.0.1", args.port)
    client.loop_start()

    # Round trip: publish on a topic we subscribe to, wait for it to come back.
    topic = f"bench/rtt/{random.getrandbits(32)}"
    client.subscribe(topic, qos=0)
    subscribed.wait(10)
    payload = b"B" * 32
    samples = []
    warmup = args.rtt // 10
    for index in range(args.rtt + warmup):
        received.clear()
        start = time.perf_counter()
        client.publish(topic, payload, qos=0)
        if not received.wait(10):
            raise SystemExit("round trip timed out")
        if index >= warmup:
            samples.append(time.perf_counter() - start)
    client.unsubscribe(topic)
    samples.sort()

    def quantile(q):
        return round(samples[min(len(samples) - 1, int(len(samples) * q))] * 1e6, 1)

    # QoS 0: publish everything, then one QoS 1 publish whose PUBACK proves the broker has read the rest.
    topic = f"bench/throughput/{random.getrandbits(32)}"
    def cpu():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    cpu_before = cpu()
    start = time.perf_counter()
    for _ in range(args.qos0):
        client.publish(topic, payload, qos=0)
    client.publish(topic, payload, qos=1).wait_for_publish(60)
    qos0 = args.qos0 / (time.perf_counter() - start)
    qos0_cpu = (cpu() - cpu_before) / args.qos0 * 1e6

    # QoS 1 with up to WINDOW messages in flight (paho queues the rest internally).
    start = time.perf_counter()
    infos = [client.publish(topic, payload, qos=1) for _ in range(args.qos1)]
    for info in infos:
        info.wait_for_publish(60)
    qos1 = args.qos1 / (time.perf_counter() - start)

    client.disconnect()
    client.loop_stop()
    print(json.dumps({
        "client": "paho", "rtt_p50_us": quantile(0.5), "rtt_p99_us": quantile(0.99), "rtt_count": args.rtt,
        "qos0_msgs_per_s": int(qos0), "qos0_count": args.qos0,
        "qos0_cpu_us_per_msg": round(qos0_cpu, 2), "qos1_msgs_per_s": int(qos1),
        "qos1_count": args.qos1, "qos1_window": args.window,
    }))


if __name__ == "__main__":
    main()
