import { InteractionEntity } from '../interactions/interaction.entity';
import { ItemEntity } from '../items/item.entity';
import { UserEntity } from '../users/user.entity';

/** Every TypeORM entity of the service. */
export const entities = [UserEntity, ItemEntity, InteractionEntity];
