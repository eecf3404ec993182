"""kafka-python 2.0.2 (Debian's python3-kafka) driven by test/interop/kafka-python.test.ts.

    python3 kafka_python_client.py <command> '<json args>'

prints one JSON object. No command passes api_version: kafka-python infers the broker's
version from its ApiVersions answer (KafkaClient.check_version), which decides the request
versions and features it will use (record headers need >= 0.11, offsets_for_times > 0.10.0).
KAFKA_PYTHON_DEBUG=1 logs kafka-python's DEBUG lines to stderr.
"""
import json
import logging
import os
import sys
import time

from kafka import KafkaClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.protocol.fetch import FetchRequest
from kafka.protocol.metadata import MetadataRequest
from kafka.protocol.offset import OffsetRequest
from kafka.protocol.produce import ProduceRequest
from kafka.record.memory_records import MemoryRecords, MemoryRecordsBuilder


def text(b):
    return None if b is None else b.decode('utf-8')


def version(a):
    client = KafkaClient(bootstrap_servers=a['bootstrap'])
    try:
        return {'api_version': list(client.config['api_version'])}
    finally:
        client.close()


def produce(a):
    producer = KafkaProducer(bootstrap_servers=a['bootstrap'], acks=1, linger_ms=5,
                             compression_type=a.get('compression'))
    try:
        futures = [
            producer.send(a['topic'], partition=r['partition'], key=r['key'].encode(), value=r['value'].encode(),
                          timestamp_ms=r['timestamp'],
                          headers=[(k, v.encode()) for k, v in r['headers']])
            for r in a['records']
        ]
        producer.flush(30)
        sent = [f.get(timeout=30) for f in futures]
        return {
            'api_version': list(producer.config['api_version']),
            'sent': [{'partition': m.partition, 'offset': m.offset} for m in sent],
        }
    finally:
        producer.close(10)


def consume(a):
    consumer = KafkaConsumer(bootstrap_servers=a['bootstrap'], group_id=None, enable_auto_commit=False)
    try:
        tps = [TopicPartition(a['topic'], p) for p in a['partitions']]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        got = []
        deadline = time.time() + 30
        while len(got) < a['count'] and time.time() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                for m in batch:
                    got.append({
                        'partition': m.partition,
                        'offset': m.offset,
                        'timestamp': m.timestamp,
                        'key': text(m.key),
                        'value': text(m.value),
                        'headers': [[k, text(v)] for k, v in m.headers],
                    })
        return {'api_version': list(consumer.config['api_version']), 'records': got}
    finally:
        consumer.close()


def offsets(a):
    consumer = KafkaConsumer(bootstrap_servers=a['bootstrap'], group_id=None, enable_auto_commit=False)
    try:
        tp = TopicPartition(a['topic'], a['partition'])
        answers = []
        for ts in a['timestamps']:
            found = consumer.offsets_for_times({tp: ts})[tp]
            answers.append(None if found is None else {'offset': found.offset, 'timestamp': found.timestamp})
        return {
            'api_version': list(consumer.config['api_version']),
            'found': answers,
            'beginning': consumer.beginning_offsets([tp])[tp],
            'end': consumer.end_offsets([tp])[tp],
        }
    finally:
        consumer.close()


def request(client, node, req):
    deadline = time.time() + 30
    while not client.ready(node):
        if time.time() > deadline:
            raise RuntimeError('node %s not ready' % node)
        client.poll(timeout_ms=100)
    f = client.send(node, req)
    client.poll(future=f, timeout_ms=30000)
    if not f.is_done:
        raise RuntimeError('no answer to %s' % type(req).__name__)
    if f.failed():
        raise f.exception
    return f.value


def raw(a):
    """The newest request versions this broker advertises, with kafka-python's own structs."""
    client = KafkaClient(bootstrap_servers=a['bootstrap'])
    try:
        topic, node = a['topic'], a['node']
        out = {'api_version': list(client.config['api_version'])}

        meta = request(client, node, MetadataRequest[5](topics=[topic, a['missing']], allow_auto_topic_creation=False))
        out['metadata'] = {
            'throttle_time_ms': meta.throttle_time_ms,
            'cluster_id': meta.cluster_id,
            'controller_id': meta.controller_id,
            'brokers': sorted(b[0] for b in meta.brokers),
            'topics': [{'error_code': t[0], 'topic': t[1], 'is_internal': t[2],
                        'partitions': [{'partition': p[1], 'leader': p[2], 'replicas': p[3], 'isr': p[4],
                                        'offline_replicas': p[5]} for p in t[3]]} for t in meta.topics],
        }

        builder = MemoryRecordsBuilder(magic=2, compression_type=0, batch_size=1 << 20)
        for i in range(3):
            builder.append(a['timestamp'] + i, ('k%d' % i).encode(), ('v%d' % i).encode(), [('h', b'x%d' % i)])
        builder.close()
        prod = request(client, node, ProduceRequest[5](transactional_id=None, required_acks=1, timeout=10000,
                                                        topics=[(topic, [(0, builder.buffer())])]))
        p = prod.topics[0][1][0]
        out['produce'] = {'error_code': p[1], 'offset': p[2], 'log_append_time': p[3], 'log_start_offset': p[4]}

        lo = request(client, node, OffsetRequest[2](replica_id=-1, isolation_level=1,
                                                     topics=[(topic, [(0, -2), (0, -1), (0, a['timestamp'] + 1)])]))
        out['list_offsets'] = {'throttle_time_ms': lo.throttle_time_ms,
                               'partitions': [list(p) for p in lo.topics[0][1]]}

        fetch = request(client, node, FetchRequest[6](-1, 100, 1, 1 << 20, 0,
                                                      [(topic, [(0, p[2], -1, 1 << 20)])]))
        fp = fetch.topics[0][1][0]
        records = MemoryRecords(fp[6])
        got = []
        while records.has_next():
            for r in records.next_batch():
                got.append([r.offset, text(r.key), text(r.value), [[k, text(v)] for k, v in r.headers]])
        out['fetch'] = {'error_code': fp[1], 'high_watermark': fp[2], 'last_stable_offset': fp[3],
                        'log_start_offset': fp[4], 'records': got}
        return out
    finally:
        client.close()


COMMANDS = {'version': version, 'produce': produce, 'consume': consume, 'offsets': offsets, 'raw': raw}

if __name__ == '__main__':
    if os.environ.get('KAFKA_PYTHON_DEBUG'):
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    print(json.dumps(COMMANDS[sys.argv[1]](json.loads(sys.argv[2]))))
