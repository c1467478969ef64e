package dev.diffusion.api.openai;

import dev.diffusion.web.MultipartEndpoints;
import org.springframework.stereotype.Component;

/** OpenAI's image edits take their picture and mask as file uploads, as OpenAI's SDKs send them. */
@Component
public class OpenAiFormUploads implements MultipartEndpoints {

    @Override
    public boolean takesMultipart(String path) {
        return path.equals(OpenAiImageEditsController.PATH);
    }
}
