import { SetMetadata } from '@nestjs/common';

export const IS_ADMIN_KEY = 'qrec:isAdmin';

/** Marks a controller or route as needing `ADMIN_API_KEY` instead of `API_KEY`. */
export const Admin = (): ClassDecorator & MethodDecorator => SetMetadata(IS_ADMIN_KEY, true);
