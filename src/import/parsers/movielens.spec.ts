import { LineParseError } from '../types';
import {
  parseMl100kGenreLine,
  parseMl100kItemLine,
  parseMl100kRatingLine,
  parseMl1mMovieLine,
  parseMl1mRatingLine,
  ratingToEvent,
} from './movielens';

const GENRES = ['unknown', 'Action', 'Comedy'];

describe('MovieLens line parsers', () => {
  it('parses a u.data line', () => {
    const rating = parseMl100kRatingLine('196\t242\t3\t881250949');

    expect(rating.userId).toBe('196');
    expect(rating.itemId).toBe('242');
    expect(rating.rating).toBe(3);
    expect(rating.occurredAt.toISOString()).toBe('1997-12-04T15:55:49.000Z');
  });

  it('builds a rating event with a source event id', () => {
    const event = ratingToEvent(parseMl100kRatingLine('1\t2\t5\t100'), 'ml100k', 'rating');

    expect(event).toEqual({
      userId: '1',
      itemId: '2',
      eventType: 'rating',
      value: 5,
      occurredAt: new Date(100_000),
      eventId: 'ml100k:1:2:100',
    });
  });

  it.each([
    ['1\t2\t3', 'expected 4 tab-separated fields, found 3'],
    ['x\t2\t3\t4', 'user id "x" is not a non-negative integer'],
    ['1\t2\tfive\t4', 'rating "five" is not a number'],
    ['1\t2\t3\t-4', 'timestamp "-4" is not a Unix timestamp in whole seconds'],
  ])('rejects u.data line %j', (line, reason) => {
    expect(() => parseMl100kRatingLine(line)).toThrow(new LineParseError(reason));
  });

  it('parses a ratings.dat line', () => {
    const rating = parseMl1mRatingLine('1::1193::5::978300760');

    expect(rating).toMatchObject({ userId: '1', itemId: '1193', rating: 5 });
  });

  it('rejects a ratings.dat line with a tab separator', () => {
    expect(() => parseMl1mRatingLine('1\t1193\t5\t978300760')).toThrow(
      'expected 4 "::"-separated fields, found 1',
    );
  });

  it('parses u.genre lines and skips blank ones', () => {
    expect(parseMl100kGenreLine("Children's|4")).toEqual({ name: "Children's", index: 4 });
    expect(parseMl100kGenreLine('')).toBeUndefined();
    expect(() => parseMl100kGenreLine('Action')).toThrow(LineParseError);
  });

  it('parses a u.item line with genre flags', () => {
    const item = parseMl100kItemLine('7|Twelve Monkeys (1995)|01-Jan-1995||http://x|0|1|1', GENRES);

    expect(item).toEqual({
      itemId: '7',
      title: 'Twelve Monkeys (1995)',
      categories: ['Action', 'Comedy'],
      attributes: {},
    });
  });

  it('rejects a u.item line with a wrong field count', () => {
    expect(() => parseMl100kItemLine('7|Title|||http://x|0|1', GENRES)).toThrow(
      'expected 8 "|"-separated fields, found 7',
    );
  });

  it('rejects a u.item line with a bad genre flag', () => {
    expect(() => parseMl100kItemLine('7|Title|||x|0|2|0', GENRES)).toThrow(
      'genre flag for Action is "2", not 0 or 1',
    );
  });

  it('parses a movies.dat line with a title containing colons', () => {
    const item = parseMl1mMovieLine("2::Star Trek: Generations (1994)::Action|Children's");

    expect(item.itemId).toBe('2');
    expect(item.title).toBe('Star Trek: Generations (1994)');
    expect(item.categories).toEqual(['Action', "Children's"]);
  });

  it('rejects a movies.dat line without a title', () => {
    expect(() => parseMl1mMovieLine('2::Action')).toThrow('expected "MovieID::Title::Genres"');
    expect(() => parseMl1mMovieLine('2::  ::Action')).toThrow('title is empty');
  });
});
