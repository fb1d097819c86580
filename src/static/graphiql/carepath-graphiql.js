// Carepath's GraphiQL: queries over POST to this page's URL, subscriptions over
// graphql-transport-ws on the same URL. The headers editor's JSON goes with every
// request, and as connection_init's payload when a subscription opens.
"use strict";

const DEFAULT_QUERY = `# Carepath GraphiQL
#
# 1. Sign up or log in below (Ctrl-Enter runs the operation under the cursor)
#    and copy the token from the answer.
# 2. In the Headers tab below, replace {} with the token:
#
#      {"Authorization": "Bearer <token from logIn>"}
#
# 3. Run "Me". Subscriptions take the same header, sent as
#    connection_init's payload over graphql-transport-ws.
#
# Headers are kept only until this page is closed: tokens open health records.

mutation SignUp {
  signUp(input: {email: "ann@example.com", password: "a long passphrase", fullName: "Ann Lee"}) {
    token
    errors { code field message }
  }
}

mutation LogIn {
  logIn(input: {email: "ann@example.com", password: "a long passphrase"}) {
    token
    errors { code field message }
  }
}

query Me {
  me { id email roles }
}
`;

const url = window.location.origin + window.location.pathname;
const subscriptionUrl = url.replace(/^http/, "ws");
const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl });
const explorer = GraphiQLPluginExplorer.explorerPlugin();

ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultHeaders: "{}",
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    inputValueDeprecation: true,
    plugins: [explorer],
  }),
);
