/**
 * Wildcard subscriptions without a cluster: Kafka's normalization of a filter, whole-name
 * matching, whitelist and blacklist, internal topics, bad expressions, and the registration a
 * wildcard consumer writes.
 */
import { describe, expect, it } from 'vitest';
import { TopicFilter, normalizeTopicRegex } from '../../src/client/connector/topic-filter.js';
import { expandWildcard } from '../../src/client/connector/registry.js';
import { ConfigError } from '../../src/common/errors.js';
import { decodeConsumerRegistration, encodeConsumerRegistration } from '../../src/zk/payloads.js';

const TOPICS = ['orders', 'orders2', 'clicks', 'views.eu', 'views.us', 'audit', '__consumer_offsets'];

describe('TopicFilter', () => {
  it("normalizes as Kafka's TopicFilter: ',' is '|', spaces and surrounding quotes go", () => {
    expect(normalizeTopicRegex(' orders, clicks ')).toBe('orders|clicks');
    expect(normalizeTopicRegex(`"views\\..*"`)).toBe('views\\..*');
    expect(normalizeTopicRegex(`'a,b'`)).toBe('a|b');
    expect(TopicFilter.whitelist('orders , clicks').regex).toBe('orders|clicks');
  });

  it('a whitelist allows the whole names it matches, never a substring', () => {
    const f = TopicFilter.whitelist('orders|views\\..*');
    expect(f.select(TOPICS)).toEqual(['orders', 'views.eu', 'views.us']);
    expect(TopicFilter.whitelist('orders,clicks').select(TOPICS)).toEqual(['clicks', 'orders']);
    expect(TopicFilter.whitelist('.*').select(TOPICS)).not.toContain('__consumer_offsets');
  });

  it('a blacklist allows the others; internal topics only with exclude.internal.topics=false', () => {
    const f = TopicFilter.blacklist('orders.*|audit');
    expect(f.select(TOPICS)).toEqual(['clicks', 'views.eu', 'views.us']);
    expect(f.select(TOPICS, false)).toEqual(['__consumer_offsets', 'clicks', 'views.eu', 'views.us']);
    expect(TopicFilter.whitelist('__consumer_offsets').allows('__consumer_offsets', false)).toBe(true);
  });

  it('refuses an expression that does not compile, or none, with a ConfigError naming it', () => {
    expect(() => TopicFilter.whitelist('orders(')).toThrow(ConfigError);
    expect(() => TopicFilter.whitelist('orders(')).toThrow('"orders(" is an invalid regex (whitelist): Unterminated group');
    expect(() => TopicFilter.blacklist('*x')).toThrow('"*x" is an invalid regex (blacklist): Nothing to repeat');
    expect(() => TopicFilter.whitelist(' "" ')).toThrow('the whitelist is empty');
  });

  it('registers as 0.8 did: the normalized expression with its stream count and pattern', () => {
    const f = TopicFilter.whitelist('orders, views\\..*');
    const data = encodeConsumerRegistration({ subscription: { [f.regex]: 2 }, pattern: f.kind, timestamp: 1 });
    expect(JSON.parse(data.toString())).toEqual({ version: 1, subscription: { 'orders|views\\..*': 2 }, pattern: 'white_list', timestamp: '1' });
    // and every member reads it back to the same topics
    expect(expandWildcard(decodeConsumerRegistration(data), TOPICS)).toEqual({ orders: 2, 'views.eu': 2, 'views.us': 2 });
    expect(expandWildcard({ subscription: { audit: 1 }, pattern: 'black_list', timestamp: 0 }, TOPICS)).toEqual({ orders: 1, orders2: 1, clicks: 1, 'views.eu': 1, 'views.us': 1 });
    expect(expandWildcard({ subscription: { '.*': 1 }, pattern: 'white_list', timestamp: 0 }, TOPICS, undefined, false)).toHaveProperty('__consumer_offsets', 1);
  });
});
