/**
 * Wildcard subscriptions (Kafka 0.8's TopicFilter: Whitelist and Blacklist). A filter is a
 * regular expression that must match a whole topic name; as in Kafka, `,` also means
 * alternation ("a,b" is "a|b"), spaces are dropped and quotes around the whole expression (a
 * properties file may bring them) are removed. The normalized expression is what a wildcard
 * consumer registers:
 *
 *   /consumers/<G>/ids/<id>  {"version":1,"subscription":{"<regex>":<streams>},"pattern":"white_list"|"black_list",...}
 *
 * A whitelist allows the topics that match, a blacklist those that do not. With
 * exclude.internal.topics (the default) neither allows an internal topic (__consumer_offsets).
 * The expression is compiled with JavaScript's RegExp, which agrees with Java's for the usual
 * forms (classes, alternation, quantifiers, `.*`).
 */
import { ConfigError } from '../../common/errors.js';

export type TopicFilterKind = 'white_list' | 'black_list';

/** Topics Kafka keeps for itself (Topic.InternalTopics). */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets']);

/** Kafka's normalization of a filter: trimmed, `,` -> `|`, no spaces, no surrounding quotes. */
export function normalizeTopicRegex(raw: string): string {
  return raw
    .trim()
    .replace(/,/g, '|')
    .replace(/ /g, '')
    .replace(/^["']+/, '')
    .replace(/["']+$/, '');
}

export class TopicFilter {
  readonly kind: TopicFilterKind;
  /** The normalized expression (what the registration holds). */
  readonly regex: string;
  readonly #re: RegExp;

  /** ConfigError if the expression is empty or does not compile. */
  constructor(kind: TopicFilterKind, raw: string) {
    this.kind = kind;
    this.regex = normalizeTopicRegex(raw);
    const what = kind === 'white_list' ? 'whitelist' : 'blacklist';
    if (this.regex === '') throw new ConfigError(`the ${what} is empty`, { context: { regex: raw } });
    try {
      new RegExp(this.regex); // alone first: its error names the expression as given
      this.#re = new RegExp(`^(?:${this.regex})$`);
    } catch (err) {
      const why = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
      throw new ConfigError(`${JSON.stringify(this.regex)} is an invalid regex (${what}): ${why}`, { context: { regex: this.regex } });
    }
  }

  static whitelist(raw: string): TopicFilter {
    return new TopicFilter('white_list', raw);
  }

  static blacklist(raw: string): TopicFilter {
    return new TopicFilter('black_list', raw);
  }

  /** Whether a topic belongs to the subscription. */
  allows(topic: string, excludeInternalTopics = true): boolean {
    if (excludeInternalTopics && INTERNAL_TOPICS.has(topic)) return false;
    // kafka-node registers plain topic names as a white_list: a name always matches itself
    const match = this.#re.test(topic) || topic === this.regex;
    return this.kind === 'white_list' ? match : !match;
  }

  /** The allowed topics of a list, sorted. */
  select(topics: Iterable<string>, excludeInternalTopics = true): string[] {
    return [...topics].filter((t) => this.allows(t, excludeInternalTopics)).sort();
  }

  toString(): string {
    return `${this.kind === 'white_list' ? 'whitelist' : 'blacklist'} ${JSON.stringify(this.regex)}`;
  }
}
