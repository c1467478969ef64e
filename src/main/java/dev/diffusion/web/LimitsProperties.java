package dev.diffusion.web;

import jakarta.validation.constraints.Min;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * {@code diffusion.limits.*}: the bounds every request is checked against.
 *
 * @param maxPixels          largest width × height
 * @param maxSteps           most denoising steps
 * @param maxImages          most images per request
 * @param maxBodySize        largest request body (413 beyond), which also bounds an init image
 * @param maxPromptLength    most characters of a prompt, and of a negative prompt
 * @param maxJsonDepth       deepest nesting of arrays and objects in a JSON body (the API's bodies are flat)
 * @param maxInitImageSize   largest init image file, after base64 decoding
 * @param maxInitImagePixels largest init image by the width × height its header claims, checked before decoding
 * @param maxBodyBytesInFlight request bodies being received at once, by their size (503 beyond): many large uploads
 *                           at once cannot fill the heap
 * @param maxDecodingBytes   memory of init images being decoded at once, by the pixels their headers claim (503
 *                           beyond)
 */
@Validated
@ConfigurationProperties("diffusion.limits")
public record LimitsProperties(
        @Min(64) @DefaultValue("1048576") int maxPixels,
        @Min(1) @DefaultValue("150") int maxSteps,
        @Min(1) @DefaultValue("8") int maxImages,
        @DefaultValue("16MB") DataSize maxBodySize,
        @Min(1) @DefaultValue("2000") int maxPromptLength,
        @Min(1) @DefaultValue("16") int maxJsonDepth,
        @DefaultValue("8MB") DataSize maxInitImageSize,
        @Min(1) @DefaultValue("16777216") long maxInitImagePixels,
        @DefaultValue("256MB") DataSize maxBodyBytesInFlight,
        @DefaultValue("256MB") DataSize maxDecodingBytes) {
}
