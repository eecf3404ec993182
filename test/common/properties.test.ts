import { describe, expect, it } from 'vitest';
import { applyOverrides, parseProperties } from '../../src/common/properties.js';

describe('Java properties', () => {
  it('reads Kafka-style server.properties', () => {
    const p = parseProperties(['# comment', '! also a comment', 'broker.id=1', 'log.dirs = /tmp/a,/tmp/b', 'zookeeper.connect: localhost:2181', 'empty=', '  indented=yes'].join('\n'));
    expect(Object.fromEntries(p)).toEqual({
      'broker.id': '1',
      'log.dirs': '/tmp/a,/tmp/b',
      'zookeeper.connect': 'localhost:2181',
      empty: '',
      indented: 'yes',
    });
  });

  it('joins continuation lines and unescapes', () => {
    const p = parseProperties('a=one,\\\n    two\nb=tab\\there\nc\\=d=e');
    expect(p.get('a')).toBe('one,two');
    expect(p.get('b')).toBe('tab\there');
    expect(p.get('c=d')).toBe('e');
  });

  it('applies overrides and refuses malformed ones', () => {
    const p = applyOverrides(new Map([['port', '9092']]), ['port=9093', 'broker.id=2']);
    expect(p.get('port')).toBe('9093');
    expect(p.get('broker.id')).toBe('2');
    expect(() => applyOverrides(p, ['nonsense'])).toThrow(/key=value/);
  });
});
