import Contracts
import Foundation
import WorkspaceUI

/// What a browser sees when the sign-in cannot be completed at `/auth/callback`: a page in the workspace's look
/// that says why, in words, and offers to sign in again to the page the person was going to (before, the browser
/// showed the gateway's JSON error, e.g. `{"error":{"code":401,…"not intended for veche"}}`).
struct SignInFailurePage {
    let templates: WorkspaceTemplates
    let regionName: String

    struct Model { var chrome: Chrome; var heading: String; var message: String; var back: String; var backLabel: String }

    func render(_ error: RPCError, returnTo: String) throws -> WorkspaceHTML {
        let chrome = Chrome.publicSite("Вход не выполнен", region: regionName, active: "/ws")
        let again = SignInRoutes.loginPath(returnTo: SignInRoutes.safeReturn(returnTo))
        let model = Model(chrome: chrome, heading: "Вход не выполнен", message: Self.explanation(error), back: again, backLabel: "Войти снова")
        return WorkspaceHTML(html: try templates.render("error", model), status: error.code.httpStatus)
    }

    /// The reason in the person's words; the service's own message is kept after it for the administrator.
    static func explanation(_ error: RPCError) -> String {
        switch error.code {
        case .permissionDenied:
            return "Доступ к платформе не разрешён: на странице согласия поставщика входа не отмечен доступ к платформе. "
                + "Войдите снова и разрешите его. (\(error.message))"
        case .invalidArgument:
            return "Вход не был начат здесь или длился дольше 10 минут. Начните вход заново. (\(error.message))"
        default:
            return "Поставщик входа не подтвердил вход. Попробуйте ещё раз; если не получится, сообщите администратору. (\(error.message))"
        }
    }
}
