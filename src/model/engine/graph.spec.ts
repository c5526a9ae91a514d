import { Graph } from './graph';
import * as op from './ops';
import { ShapeError } from './tensor';

describe('Graph shape checks', () => {
  it('MatMul inner mismatch', () => {
    const graph = new Graph('g');
    const a = graph.input('a', 'float32', [2, 3]);
    const b = graph.input('b', 'float32', [4, 5]);

    expect(() => op.matMul(a, b)).toThrow(ShapeError);
    expect(() => op.matMul(a, b)).toThrow(
      'MatMul: inner dimensions differ for shapes [2, 3] and [4, 5]',
    );
  });

  it('Add broadcast mismatch', () => {
    const graph = new Graph('g');
    const a = graph.input('a', 'float32', ['batch', 3]);
    const b = graph.input('b', 'float32', [2, 4]);

    expect(() => op.add(a, b)).toThrow('Add: shapes [batch, 3] and [2, 4] do not broadcast');
  });

  it('named dims match by name', () => {
    const graph = new Graph('g');
    const a = graph.input('a', 'float32', ['batch', 3]);
    const b = graph.input('b', 'float32', ['batch', 1]);

    expect(op.add(a, b).shape).toEqual(['batch', 3]);
  });

  it('different names do not match', () => {
    const graph = new Graph('g');
    const a = graph.input('a', 'float32', ['batch', 3]);
    const b = graph.input('b', 'float32', ['items', 3]);

    expect(() => op.mul(a, b)).toThrow('Mul: shapes [batch, 3] and [items, 3] do not broadcast');
  });

  it('dtype mismatch', () => {
    const graph = new Graph('g');
    const a = graph.input('a', 'float32', [3]);
    const b = graph.input('b', 'float64', [3]);

    expect(() => op.sub(a, b)).toThrow('Sub: dtypes differ, float32[3] and float64[3]');
  });

  it('Reshape keeps a named dim', () => {
    const graph = new Graph('g');
    const x = graph.input('x', 'float32', ['batch', 4, 6]);

    expect(op.reshape(x, ['batch', 4, 2, 3]).shape).toEqual(['batch', 4, 2, 3]);
    expect(op.reshape(x, [-1, 6]).shape).toEqual(['batch*4', 6]);
    expect(() => op.reshape(x, ['batch', 5, 5])).toThrow(
      'Reshape: cannot reshape [batch, 4, 6] to [batch, 5, 5]',
    );
  });

  it('Concat mismatch', () => {
    const graph = new Graph('g');
    const a = graph.input('a', 'float32', [2, 3]);
    const b = graph.input('b', 'float32', [3, 3]);

    expect(() => op.concat([a, b], 1)).toThrow(
      'Concat: shapes [2, 3] and [3, 3] differ off axis 1',
    );
  });

  it('LayerNormalization scale shape', () => {
    const graph = new Graph('g');
    const x = graph.input('x', 'float32', [2, 8]);
    const scale = graph.parameter('scale', 'float32', [4]);
    const bias = graph.parameter('bias', 'float32', [8]);

    expect(() => op.layerNormalization(x, scale, bias)).toThrow(
      'LayerNormalization: scale has shape [4], expected [8]',
    );
  });

  it('Gather needs int64 indices', () => {
    const graph = new Graph('g');
    const table = graph.parameter('table', 'float32', [10, 4]);
    const indices = graph.input('indices', 'float32', [3]);

    expect(() => op.gather(table, indices)).toThrow(
      'Gather: input indices has dtype float32, expected one of int64',
    );
  });

  it('Gelu rejects float64', () => {
    const graph = new Graph('g');
    const x = graph.input('x', 'float64', [3]);

    expect(() => op.gelu(x)).toThrow('Gelu: input x has dtype float64, expected one of float32');
  });

  it('Squeeze non-unit axis', () => {
    const graph = new Graph('g');
    const x = graph.input('x', 'float32', [2, 3]);

    expect(() => op.squeeze(x, [1])).toThrow('Squeeze: axis 1 of shape [2, 3] is not 1');
  });

  it('rejects duplicate names', () => {
    const graph = new Graph('g');
    graph.input('x', 'float32', [2]);

    expect(() => graph.parameter('x', 'float32', [2])).toThrow('tensor name "x" is already used');
  });

  it('rejects named parameter dims', () => {
    const graph = new Graph('g');

    expect(() => graph.parameter('w', 'float32', ['batch'] as unknown as number[])).toThrow(
      'must be static',
    );
  });
});
