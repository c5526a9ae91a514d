import { InitialSchema1764892800000 } from './1764892800000-InitialSchema';
import { ModelServing1764979200000 } from './1764979200000-ModelServing';

/**
 * Every migration in the order it runs. Listing the classes (rather than a file glob) makes
 * the same list work from compiled JavaScript, ts-jest and ts-node.
 */
export const migrations = [InitialSchema1764892800000, ModelServing1764979200000];
