package dev.diffusion.security;

import io.swagger.v3.oas.annotations.OpenAPIDefinition;
import io.swagger.v3.oas.annotations.enums.SecuritySchemeType;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.security.SecurityScheme;
import org.springframework.context.annotation.Configuration;

/**
 * Tells the API docs how an API key is sent, so that Swagger UI's "Authorize" button adds it to every call it makes.
 */
@Configuration(proxyBeanMethods = false)
@OpenAPIDefinition(security = @SecurityRequirement(name = ApiDocsSecurity.SCHEME))
@SecurityScheme(name = ApiDocsSecurity.SCHEME, type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "Authorization: Bearer <key>, needed only when diffusion.security.api-keys is set")
public class ApiDocsSecurity {

    static final String SCHEME = "api-key";
}
