export { API_TOKENS_TABLE, USERS_TABLE, usersProjection } from './users.projection.js';
export {
  authenticateCaller,
  findTokenByHash,
  getUser,
  listActiveTokens,
  type TokenListItem,
  type TokenLookup,
  type UserStatus,
  type UserView,
} from './users.queries.js';
