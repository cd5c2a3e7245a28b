"""Bearer tokens: ``Authorization: Bearer <token>``; a revoked or unknown token answers 401."""

from ninja.security import HttpBearer

from workflows.services.api_tokens import api_token_user


class TokenAuth(HttpBearer):
    openapi_description = "API 令牌：在“API 令牌”页面创建，可随时撤销。"

    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is None:
            return None
        # The selectors and services read ``request.user``'s scope, as on the pages; the
        # session's user (if a browser sent a cookie) never counts here.
        request.user = user
        return user
